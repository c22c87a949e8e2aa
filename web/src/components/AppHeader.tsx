import { useQueryClient } from "@tanstack/react-query";
import { NavLink, useNavigate } from "react-router";
import { useApi } from "../api";
import { useCurrentUser } from "../features/auth";
import { bookingText } from "../features/booking";
import { text as catalogueText } from "../features/calibration";
import { telemetryText } from "../features/telemetry";
import { useI18n } from "../i18n";
import { LanguageToggle } from "./LanguageToggle";

export function AppHeader() {
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
    <header className="app-header">
      <div className="app-header-inner">
        <NavLink to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            L
          </span>
          <span>
            <span className="brand-name">{t("app.name")}</span>
            <span className="brand-tagline">{t("app.tagline")}</span>
          </span>
        </NavLink>
        <nav className="app-nav">
          <NavLink to="/" end>
            {t("nav.instruments")}
          </NavLink>
          <NavLink to="/catalogue">{catalogueText(locale, "catalogue.title")}</NavLink>
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
              <span className="user-org">
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
    </header>
  );
}
