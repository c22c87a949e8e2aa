import { useQueryClient } from "@tanstack/react-query";
import { Button, Menu, Tooltip } from "antd";
import { Link, NavLink, useLocation, useNavigate } from "react-router";
import { useApi } from "../api";
import { loginPath, useCurrentUser, useSignedIn } from "../features/auth";
import { bookingText } from "../features/booking";
import { creditText } from "../features/credit";
import { NotificationBell } from "../features/notifications";
import { registrationText } from "../features/registration";
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
  const { t, locale } = useI18n();
  const location = useLocation();
  return (
    <div className="app-header-inner">
      <Brand to="/catalogue" />
      <div className="app-header-right">
        <LanguageToggle />
        <Link to="/register" className="btn" data-testid="header-register">
          {registrationText(locale, "header.register")}
        </Link>
        <Link to={loginPath(location)} className="btn btn-primary" data-testid="header-login">
          {t("header.login")}
        </Link>
      </div>
    </div>
  );
}

/** The navigation entry that holds the current path (the board for "/", else the longest prefix). */
function selectedKey(pathname: string, keys: string[]): string[] {
  if (pathname === "/" || pathname.startsWith("/instruments")) return ["/"];
  const hit = keys
    .filter((key) => key !== "/" && pathname.startsWith(key))
    .sort((a, b) => b.length - a.length);
  return hit.slice(0, 1);
}

function MemberHeader() {
  const api = useApi();
  const { t, pickName, locale } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const me = useCurrentUser();
  const user = me.data;

  const logout = () => {
    api.logout();
    queryClient.clear();
    navigate("/login", { replace: true });
  };

  const staff =
    user && (user.role === "lab_staff" || user.role === "lab_manager" || user.role === "platform_admin");
  const entries: { to: string; label: string; end?: boolean }[] = [
    { to: "/", label: t("nav.instruments"), end: true },
    { to: "/catalogue", label: t("nav.catalogue") },
    { to: "/bookings", label: bookingText(locale, "nav.bookings") },
    { to: "/statements", label: bookingText(locale, "nav.statements") },
    ...(staff
      ? [
          { to: "/today", label: bookingText(locale, "nav.day") },
          { to: "/board", label: telemetryText(locale, "nav.board") },
          { to: "/gateways", label: telemetryText(locale, "nav.gateways") },
        ]
      : []),
    ...(staff ? [{ to: "/inspection", label: t("nav.inspection") }] : []),
    // The regulator's console: the platform sees the province, a lab manager their institution.
    ...(user?.role === "platform_admin" || user?.role === "lab_manager"
      ? [{ to: "/evaluation", label: t("nav.evaluation") }]
      : []),
    ...(staff ? [{ to: "/proficiency", label: t("nav.proficiency") }] : []),
    ...(user ? [{ to: "/complaints", label: t("nav.complaints") }] : []),
    // Credit records: the platform reads and keeps every institution's, staff read their own.
    ...(staff ? [{ to: "/credit", label: creditText(locale, "nav.credit") }] : []),
    ...(user?.role === "platform_admin"
      ? [{ to: "/registrations", label: registrationText(locale, "nav.registrations") }]
      : []),
    // Members and invitations: each organisation's administrator.
    ...(user?.role === "enterprise_admin" || user?.role === "lab_manager"
      ? [{ to: "/invitations", label: registrationText(locale, "nav.invitations") }]
      : []),
  ];
  const organisation = user
    ? `${pickName(user.organisation.name, user.organisation.name_en)} · ${t(`role.${user.role}`)}`
    : "";

  return (
    <div className="app-header-inner">
      <Brand to="/" />
      <Menu
        className="app-nav"
        mode="horizontal"
        aria-label={t("header.navigation")}
        selectedKeys={selectedKey(
          location.pathname,
          entries.map((e) => e.to),
        )}
        items={entries.map((entry) => ({
          key: entry.to,
          label: (
            <NavLink to={entry.to} end={entry.end}>
              {entry.label}
            </NavLink>
          ),
        }))}
      />
      <div className="app-header-right">
        {user && (
          <div className="user-badge" data-testid="current-user">
            <span className="user-name">{user.full_name}</span>
            <Tooltip title={organisation}>
              <span className="user-org">{organisation}</span>
            </Tooltip>
          </div>
        )}
        <NotificationBell />
        <LanguageToggle />
        <Button onClick={logout}>{t("header.logout")}</Button>
      </div>
    </div>
  );
}

export function AppHeader() {
  const signedIn = useSignedIn();
  return <header className="app-header">{signedIn ? <MemberHeader /> : <VisitorHeader />}</header>;
}
