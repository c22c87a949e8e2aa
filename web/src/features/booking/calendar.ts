import type { Slot } from "./api";

const DAY_MS = 24 * 3600 * 1000;
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

/** Midnight in Beijing (as a UTC instant) of the day containing `instant`. */
export function beijingMidnight(instant: Date): Date {
  const local = instant.getTime() + BEIJING_OFFSET_MS;
  return new Date(local - (local % DAY_MS) - BEIJING_OFFSET_MS);
}

/** The seven Beijing days of the week view starting at `first`'s Beijing day. */
export function weekDays(first: Date): Date[] {
  const start = beijingMidnight(first);
  return Array.from({ length: 7 }, (_, i) => new Date(start.getTime() + i * DAY_MS));
}

/** Free minutes of one Beijing day, from the server's free intervals. */
export function freeMinutesOn(day: Date, free: Slot[]): number {
  const dayStart = day.getTime();
  const dayEnd = dayStart + DAY_MS;
  let total = 0;
  for (const slot of free) {
    const start = Math.max(Date.parse(slot.start), dayStart);
    const end = Math.min(Date.parse(slot.end), dayEnd);
    if (end > start) total += (end - start) / 60000;
  }
  return total;
}

/** The free intervals cut to one Beijing day, for the slot picker. */
export function slotsOn(day: Date, free: Slot[]): Slot[] {
  const dayStart = day.getTime();
  const dayEnd = dayStart + DAY_MS;
  const out: Slot[] = [];
  for (const slot of free) {
    const start = Math.max(Date.parse(slot.start), dayStart);
    const end = Math.min(Date.parse(slot.end), dayEnd);
    if (end > start) out.push({ start: new Date(start).toISOString(), end: new Date(end).toISOString() });
  }
  return out;
}

/** "09:00" in Beijing time. */
export function beijingTime(iso: string): string {
  return new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));
}

/** "12-08 周二" / "Tue 12-08" for a column header. */
export function dayLabel(day: Date, locale: string): string {
  const weekday = new Intl.DateTimeFormat(locale === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    weekday: "short",
  }).format(day);
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    month: "2-digit",
    day: "2-digit",
  }).format(day);
  return locale === "en" ? `${weekday} ${parts}` : `${parts} ${weekday}`;
}

/** A datetime-local value (Beijing wall time) for an ISO instant. */
export function toBeijingInput(iso: string): string {
  const local = new Date(Date.parse(iso) + BEIJING_OFFSET_MS);
  return local.toISOString().slice(0, 16);
}
