import type { Quality } from "../../api";
import { useI18n } from "../../i18n";

const TONE: Record<Quality, string> = {
  ok: "badge-ok",
  stale: "badge-muted",
  comm_fail: "badge-bad",
  out_of_range: "badge-warn",
  bad_unit: "badge-warn",
  loop_low_fault: "badge-bad",
  loop_high_fault: "badge-bad",
};

export function QualityBadge({ quality }: { quality: Quality | null }) {
  const { t } = useI18n();
  return (
    <span
      className={`badge ${quality ? TONE[quality] : "badge-muted"}`}
      data-testid="quality"
      data-quality={quality ?? "none"}
    >
      {quality ? t(`quality.${quality}`) : t("quality.none")}
    </span>
  );
}
