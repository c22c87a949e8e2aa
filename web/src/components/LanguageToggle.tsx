import { Button } from "antd";
import { useI18n } from "../i18n";

/** Switches between Chinese and English; Ant Design's own texts and dates follow. */
export function LanguageToggle() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Button
      type="text"
      className="lang-toggle"
      title={t("header.switchToTitle")}
      aria-label={t("header.switchToTitle")}
      onClick={() => setLocale(locale === "zh-CN" ? "en" : "zh-CN")}
    >
      {t("header.switchTo")}
    </Button>
  );
}
