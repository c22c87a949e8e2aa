import type { DetailedBooking } from "./api";

const MINUTE_MS = 60_000;
/** Check-in opens this long before the booked start (the server's rule). */
export const CHECK_IN_EARLY_MS = 15 * MINUTE_MS;

export interface Attendance {
  /** Staff may record the arrival now: a confirmed booking, from 15 minutes before its start to its end. */
  canCheckIn: boolean;
  /** Staff may record a no-show: a confirmed booking whose start has passed with nobody checked in. */
  canMarkNoShow: boolean;
  /** Minutes past the booked end: running now (still checked in), or recorded when it completed. */
  overrunMinutes: number;
  /** The booker is still on the instrument after the booked end. */
  overrunning: boolean;
}

/** What the lab can do about a booking of the day at `now`, and whether it runs over. */
export function attendance(
  booking: Pick<DetailedBooking, "status" | "start_at" | "end_at" | "overrun_minutes">,
  now: number,
): Attendance {
  const start = Date.parse(booking.start_at);
  const end = Date.parse(booking.end_at);
  const confirmed = booking.status === "confirmed";
  const overrunning = booking.status === "checked_in" && now > end;
  return {
    canCheckIn: confirmed && start - CHECK_IN_EARLY_MS <= now && now < end,
    canMarkNoShow: confirmed && start <= now,
    overrunMinutes: overrunning ? Math.floor((now - end) / MINUTE_MS) : booking.overrun_minutes,
    overrunning,
  };
}

/** The day's bookings per instrument, instruments in the order of their first booking. */
export function byInstrument<T extends { instrument_id: string; start_at: string }>(
  bookings: T[],
): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const b of [...bookings].sort((a, z) => Date.parse(a.start_at) - Date.parse(z.start_at))) {
    groups.set(b.instrument_id, [...(groups.get(b.instrument_id) ?? []), b]);
  }
  return [...groups.entries()];
}
