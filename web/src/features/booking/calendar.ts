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

/** Opening hours as the booking policy carries them: Python weekday (0 = Monday), "08:30:00". */
export interface OpeningHours {
  weekday: number;
  opens: string;
  closes: string;
}

/** The part of `GET /instruments/{id}/booking-policy` that says when an instrument can be booked. */
export interface BookingWindowPolicy {
  timezone: string;
  lead_time_minutes: number;
  horizon_days: number;
  /** Empty means open around the clock. */
  opening_hours: OpeningHours[];
}

/** Why a day of the week grid has, or has not, time to book. */
export type DayStatus =
  | { kind: "free"; minutes: number }
  /** A usability block from the API: calibration_expired, out_of_service, maintenance, … */
  | { kind: "blocked"; reason: string; detail: string }
  /** No opening hours on that weekday. */
  | { kind: "closed" }
  /** The day's opening hours are over, or start within the lead time. */
  | { kind: "past" }
  /** Beyond how far ahead the instrument may be booked. */
  | { kind: "beyondHorizon" }
  /** Open, but bookings (with their buffers) or blackouts take all of it. */
  | { kind: "full" }
  /** Nothing free and the opening hours are not known (yet). */
  | { kind: "unavailable" };

function clockMs(clock: string): number {
  const [hours = "0", minutes = "0", seconds = "0"] = clock.split(":");
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

/** Python's weekday (0 = Monday) of a Beijing day given as its midnight instant. */
function beijingWeekday(day: Date): number {
  return (new Date(day.getTime() + BEIJING_OFFSET_MS).getUTCDay() + 6) % 7;
}

/**
 * What one cell of the week grid says. Free time wins; otherwise a usability block names its
 * reason; otherwise the booking policy tells a closed day from one that is booked out.
 */
export function dayStatus(
  day: Date,
  availability: Availability | undefined,
  policy: BookingWindowPolicy | undefined,
  now: Date,
): DayStatus {
  const dayStart = day.getTime();
  const dayEnd = dayStart + DAY_MS;
  if (availability) {
    const minutes = freeMinutesOn(day, availability.free);
    if (minutes > 0) return { kind: "free", minutes };
    const block = availability.blocked.find(
      (b) => Date.parse(b.start) < dayEnd && Date.parse(b.end) > dayStart,
    );
    if (block) return { kind: "blocked", reason: block.reason, detail: block.detail };
  }
  // The grid's days are Beijing days; a policy kept in another zone cannot be read against them.
  if (!availability || !policy || policy.timezone !== "Asia/Shanghai") return { kind: "unavailable" };
  const periods =
    policy.opening_hours.length === 0
      ? [[dayStart, dayEnd] as const]
      : policy.opening_hours
          .filter((h) => h.weekday === beijingWeekday(day))
          .map((h) => [dayStart + clockMs(h.opens), dayStart + clockMs(h.closes)] as const);
  if (periods.length === 0) return { kind: "closed" };
  const earliest = now.getTime() + policy.lead_time_minutes * 60_000;
  const latest = now.getTime() + policy.horizon_days * DAY_MS;
  if (periods.every(([, end]) => end <= earliest)) return { kind: "past" };
  if (periods.every(([start]) => start >= latest)) return { kind: "beyondHorizon" };
  return { kind: "full" };
}
