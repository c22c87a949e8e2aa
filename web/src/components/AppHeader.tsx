import { useQueryClient } from "@tanstack/react-query";
import { Link, NavLink, useLocation, useNavigate } from "react-router";
import { useApi } from "../api";
import { loginPath, useCurrentUser, useSignedIn } from "../features/auth";
import { bookingText } from "../features/booking";
import { telemetryText } from "../features/telemetry";
import { useI18n } from "../i18n";
import { LanguageToggle } from "./LanguageToggle";

function Brand({ to }: { to: string }) {
  const { t } = useI18n();
  return (
    <NavLink to={to} className="brand">
      <span className="brand-mark" aria-hidden="true">
        L
      </span>
      <span>
        <span className="brand-name">{t("app.name")}</span>
        <span className="brand-tagline">{t("app.tagline")}</span>
      </span>
    </NavLink>
  );
}

/** A visitor without an account sees only the public catalogue, so the header offers the login. */
function VisitorHeader() {
  const { t } = useI18n();
  const location = useLocation();
  return (
    <div className="app-header-inner">
      <Brand to="/catalogue" />
      <div className="app-header-right">
        <LanguageToggle />
        <Link to={loginPath(location)} className="btn btn-primary" data-testid="header-login">
          {t("header.login")}
        </Link>
      </div>
    </div>
  );
}

function MemberHeader() {
  const api = useApi();
  const { t, pickName, locale } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useCurrentUser();
  const user = me.data;

  const logout = () => {
    api.logout();
    queryClient.clear();
    navigate("/login", { replace: true });
  };

  return (
    <div className="app-header-inner">
      <Brand to="/" />
      <nav className="app-nav">
        <NavLink to="/" end>
          {t("nav.instruments")}
        </NavLink>
        <NavLink to="/catalogue">{t("nav.catalogue")}</NavLink>
        <NavLink to="/bookings">{bookingText(locale, "nav.bookings")}</NavLink>
        <NavLink to="/statements">{bookingText(locale, "nav.statements")}</NavLink>
        {user &&
          (user.role === "lab_staff" || user.role === "lab_manager" || user.role === "platform_admin") && (
            <>
              <NavLink to="/board">{telemetryText(locale, "nav.board")}</NavLink>
              <NavLink to="/gateways">{telemetryText(locale, "nav.gateways")}</NavLink>
            </>
          )}
      </nav>
      <div className="app-header-right">
        {user && (
          <div className="user-badge" data-testid="current-user">
            <span className="user-name">{user.full_name}</span>
            <span
              className="user-org"
              title={`${pickName(user.organisation.name, user.organisation.name_en)} · ${t(`role.${user.role}`)}`}
            >
              {pickName(user.organisation.name, user.organisation.name_en)} · {t(`role.${user.role}`)}
            </span>
          </div>
        )}
        <LanguageToggle />
        <button type="button" className="btn btn-ghost" onClick={logout}>
          {t("header.logout")}
        </button>
      </div>
    </div>
  );
}

export function AppHeader() {
  const signedIn = useSignedIn();
  return <header className="app-header">{signedIn ? <MemberHeader /> : <VisitorHeader />}</header>;
}
