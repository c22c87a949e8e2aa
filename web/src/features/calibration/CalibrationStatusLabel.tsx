import { formatBeijing } from "./time";
import type { CalibrationState } from "./api";
import { useText } from "./text";

/** Colour and words together, so the status reads at a glance and without colour vision. */
const TONE: Record<CalibrationState, string> = {
  valid: "badge-ok",
  due_soon: "badge-warn",
  expired: "badge-bad",
  out_of_service: "badge-bad",
  not_required: "badge-muted",
};

export function CalibrationStatusLabel({
  state,
  validTo,
}: {
  state: CalibrationState;
  validTo?: string | null;
}) {
  const t = useText();
  const showDate = validTo && (state === "valid" || state === "due_soon");
  return (
    <span className={`badge ${TONE[state]}`} data-testid="calibration-status" data-state={state}>
      {t(`status.${state}`)}
      {showDate && ` · ${t("status.validUntil")} ${formatBeijing(validTo)}`}
    </span>
  );
}
