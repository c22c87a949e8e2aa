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
