export { DEMO_ACCOUNTS, DEMO_PASSWORD, LoginForm } from "./LoginForm";
export { LoginPage, safeNextPath } from "./LoginPage";
export { authKeys, useCurrentUser, useIsDevelopmentServer } from "./queries";
export { isEnterpriseRole, isInstitutionRole } from "./roles";
export { OptionalAuth, useSignedIn } from "./OptionalAuth";
export { loginPath, RequireAuth } from "./RequireAuth";
