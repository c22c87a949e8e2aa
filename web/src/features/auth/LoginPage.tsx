import { useQueryClient } from "@tanstack/react-query";
import { Card } from "antd";
import { Link, useNavigate, useSearchParams } from "react-router";
import { LanguageToggle } from "../../components/LanguageToggle";
import { useI18n } from "../../i18n";
import { registrationText } from "../registration/text";
import { LoginForm } from "./LoginForm";
import { useIsDevelopmentServer } from "./queries";

/** Only same-app paths are followed after login, so ?next= cannot send users elsewhere. */
export function safeNextPath(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const { t, locale } = useI18n();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const development = useIsDevelopmentServer();

  return (
    <main className="login-page">
      <Card className="login-card">
        <div className="login-card-top">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true">
              L
            </span>
            <span>
              <span className="brand-name">{t("app.name")}</span>
              <span className="brand-tagline">{t("app.tagline")}</span>
            </span>
          </div>
          <LanguageToggle />
        </div>
        <h1>{t("login.title")}</h1>
        <p className="muted">{t("login.subtitle")}</p>
        <LoginForm
          showDemoAccounts={development}
          onSuccess={() => {
            // Whatever was cached belonged to the previous user.
            queryClient.clear();
            navigate(safeNextPath(params.get("next")), { replace: true });
          }}
        />
        <p className="login-catalogue">
          <Link to="/catalogue">{t("login.browseCatalogue")}</Link>
        </p>
        <p className="login-register">
          <Link
            to={`/register?next=${encodeURIComponent(safeNextPath(params.get("next")))}`}
            data-testid="login-register"
          >
            {registrationText(locale, "login.register")}
          </Link>
        </p>
      </Card>
    </main>
  );
}
