export { AcceptInvitationPage } from "./AcceptInvitationPage";
export { InvitationsPage, invitationLink } from "./InvitationsPage";
export { RegisterPage } from "./RegisterPage";
export { RegistrationsPage } from "./RegistrationsPage";
export { isValidCreditCode } from "./creditCode";
export { registrationText, useRegistrationText } from "./text";
