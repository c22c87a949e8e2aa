import type { Dayjs } from "dayjs";

/** A date as people in Zhejiang read it: Beijing time, yyyy-mm-dd. */
export function formatBeijing(iso: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** A datetime-local input value (Beijing wall time) as an ISO string with +08:00. */
export function beijingInputToIso(value: string | undefined): string {
  if (!value) return "";
  return `${value.length === 16 ? `${value}:00` : value}+08:00`;
}

/**
 * A date picker's Beijing wall time (antd DatePicker with `showTime`) as the API's ISO string:
 * the picked wall time goes through `beijingInputToIso`, whatever the browser's own zone is.
 */
export function pickedToIso(value: Dayjs): string {
  return beijingInputToIso(value.format("YYYY-MM-DDTHH:mm"));
}

/** A date picker's day (no time) as the API's date, yyyy-mm-dd. */
export function pickedDay(value: Dayjs): string {
  return value.format("YYYY-MM-DD");
}
