import type { Availability, Slot } from "./api";

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

/** Why a day of the week grid has, or has not, time to book. */
export type DayStatus =
  | { kind: "free"; minutes: number }
  /** A usability block from the API: calibration_expired, out_of_service, maintenance, … */
  | { kind: "blocked"; reason: string; detail: string }
  /** The lab closed an otherwise open day (a blackout); `detail` is the lab's reason. */
  | { kind: "blackout"; detail: string }
  /** No opening hours on that day. */
  | { kind: "closed" }
  /** The day's opening hours are over, or start within the lead time. */
  | { kind: "past" }
  /** Beyond how far ahead the instrument may be booked. */
  | { kind: "beyondHorizon" }
  /** Open, but bookings (with their buffers) take all of it. */
  | { kind: "full" }
  /** Nothing free and the server did not say why. */
  | { kind: "unavailable" };

/** The reasons of `unavailable` periods that describe the booking window, not the instrument. */
const WINDOW_REASONS = new Set(["closed", "blackout", "booked", "lead_time", "horizon", "slot_grid"]);

/** Among the reasons that cover a day's open time, the one that takes most of it wins; ties
 *  go to the earlier in this list. */
const DAY_REASONS = [
  ["blackout", "blackout"],
  ["booked", "full"],
  ["lead_time", "past"],
  ["horizon", "beyondHorizon"],
] as const;

/**
 * What one cell of the week grid says, from the server's own reasons. Free time wins; then a
 * usability block anywhere in the day; then whichever of blackout, bookings, lead time and
 * horizon takes most of the day's open time; a day with nothing but closed time is closed.
 */
export function dayStatus(day: Date, availability: Availability | undefined): DayStatus {
  if (!availability) return { kind: "unavailable" };
  const dayStart = day.getTime();
  const dayEnd = dayStart + DAY_MS;
  const minutes = freeMinutesOn(day, availability.free);
  if (minutes > 0) return { kind: "free", minutes };
  const overlaps = (p: { start: string; end: string }) =>
    Date.parse(p.start) < dayEnd && Date.parse(p.end) > dayStart;
  const block = availability.blocked.find(overlaps);
  if (block) return { kind: "blocked", reason: block.reason, detail: block.detail };
  const periods = (availability.unavailable ?? []).filter(overlaps);
  const unusable = periods.find((p) => !WINDOW_REASONS.has(p.reason));
  if (unusable) return { kind: "blocked", reason: unusable.reason, detail: unusable.detail };
  const taken = new Map<string, { minutes: number; detail: string; longest: number }>();
  for (const p of periods) {
    const length = (Math.min(Date.parse(p.end), dayEnd) - Math.max(Date.parse(p.start), dayStart)) / 60000;
    const seen = taken.get(p.reason) ?? { minutes: 0, detail: p.detail, longest: 0 };
    seen.minutes += length;
    if (length > seen.longest) Object.assign(seen, { longest: length, detail: p.detail });
    taken.set(p.reason, seen);
  }
  let best: DayStatus | undefined;
  let bestMinutes = 0;
  for (const [reason, kind] of DAY_REASONS) {
    const seen = taken.get(reason);
    if (!seen || seen.minutes <= bestMinutes) continue;
    bestMinutes = seen.minutes;
    best = kind === "blackout" ? { kind, detail: seen.detail } : { kind };
  }
  if (best) return best;
  return taken.has("closed") ? { kind: "closed" } : { kind: "unavailable" };
}
