import { Link } from "react-router";
import { useI18n } from "../i18n";

export default function NotFoundRoute() {
  const { t } = useI18n();
  return (
    <section className="empty">
      <h1>{t("common.notFound")}</h1>
      <Link to="/">{t("common.home")}</Link>
    </section>
  );
}
