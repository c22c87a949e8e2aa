import { useI18n } from "../../i18n";

export function OpenBadge({ isOpen }: { isOpen: boolean }) {
  const { t } = useI18n();
  return (
    <span className={`badge ${isOpen ? "badge-ok" : "badge-muted"}`} data-testid="open-badge">
      {isOpen ? t("instruments.open") : t("instruments.closed")}
    </span>
  );
}
