import type { OutOfServiceRecord } from "./api";
import { text, type TextId } from "./text";

/**
 * Why an instrument is out of service, in the reader's language. Records the server made
 * (a failed check or calibration) carry English text, so their cause is named instead; a
 * manual record keeps the words the lab typed.
 */
export function outOfServiceReason(
  locale: string,
  record: Pick<OutOfServiceRecord, "cause_kind" | "reason">,
): string {
  const id = `oos.cause.${record.cause_kind}`;
  if (record.cause_kind === "manual") return record.reason || text(locale, "oos.cause.manual");
  return id in CAUSES ? text(locale, id as TextId) : record.reason;
}

const CAUSES: Record<string, true> = {
  "oos.cause.check_failed": true,
  "oos.cause.calibration_failed": true,
  "oos.cause.manual": true,
};
