import type { Schemas } from "../../api/types";
import { STATE_COLOURS, tileState, type InstrumentState } from "../telemetry/states";

export type BoardInstrument = Schemas["BoardInstrument"];
export type BoardReading = Schemas["BoardReading"];
export type BoardAlarm = Schemas["BoardAlarm"];
export type ValueLabel = Schemas["ValueLabel"];

/**
 * What colours a tile. Whether the instrument may be used outranks what its telemetry says:
 * out of service, then calibration expired (or never calibrated), then the telemetry state
 * (fault, an offline gateway, running, idle, off).
 */
export type TileCondition =
  "out_of_service" | "calibration_expired" | "not_calibrated" | InstrumentState | "unknown";

export const CONDITION_COLOURS: Record<TileCondition, string> = {
  out_of_service: "#82071e",
  calibration_expired: "#8250df",
  not_calibrated: "#8250df",
  ...STATE_COLOURS,
};

export function tileCondition(instrument: BoardInstrument, gatewaysOffline: boolean): TileCondition {
  const usability = instrument.usability;
  if (usability?.out_of_service || usability?.calibration === "out_of_service") return "out_of_service";
  if (usability?.calibration === "expired") {
    return usability.never_calibrated ? "not_calibrated" : "calibration_expired";
  }
  return tileState(instrument.state as InstrumentState | null, gatewaysOffline);
}

/** Whether the condition comes from the calibration programme rather than the telemetry. */
export function isUsabilityCondition(condition: TileCondition): boolean {
  return (
    condition === "out_of_service" || condition === "calibration_expired" || condition === "not_calibrated"
  );
}

/** A status register's value in words: the label for the value, or null when it has none. */
export function valueLabel(reading: BoardReading): ValueLabel | null {
  if (!reading.value_labels || reading.value === null) return null;
  return reading.value_labels.find((label) => label.value === reading.value) ?? null;
}

/** Unacknowledged alarms first, then the newest. */
export function sortAlarms(alarms: readonly BoardAlarm[]): BoardAlarm[] {
  const time = (a: BoardAlarm) => (a.since ? Date.parse(a.since) : 0);
  return [...alarms].sort(
    (a, b) => Number(Boolean(a.acknowledged)) - Number(Boolean(b.acknowledged)) || time(b) - time(a),
  );
}

export function alarmKey(alarm: BoardAlarm): string {
  return `${alarm.kind}:${alarm.instrument_id ?? "-"}:${alarm.subject}:${alarm.since ?? ""}`;
}
