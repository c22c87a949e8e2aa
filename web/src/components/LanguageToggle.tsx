import { useI18n } from "../i18n";

export function LanguageToggle() {
  const { locale, setLocale, t } = useI18n();
  return (
    <button
      type="button"
      className="btn btn-ghost lang-toggle"
      title={t("header.switchToTitle")}
      aria-label={t("header.switchToTitle")}
      onClick={() => setLocale(locale === "zh-CN" ? "en" : "zh-CN")}
    >
      {t("header.switchTo")}
    </button>
  );
}
