import type { Availability, Slot } from "./api";
import { beijingMidnight, weekDays } from "./calendar";
import { spanCells, type Cell, type CellKind } from "./timeline";

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const BEIJING_OFFSET_MS = 8 * HOUR_MS;

/** Monday 00:00 Beijing time (as a UTC instant) of the Monday-first week holding `instant`. */
export function weekStart(instant: Date): Date {
  const midnight = beijingMidnight(instant).getTime();
  const weekday = new Date(midnight + BEIJING_OFFSET_MS).getUTCDay(); // 0: Sunday
  return new Date(midnight - ((weekday + 6) % 7) * DAY_MS);
}

/** The seven Beijing days, Monday to Sunday, of the week holding `instant`. */
export function weekOf(instant: Date): Date[] {
  return weekDays(weekStart(instant));
}

export interface OpenWindow {
  start: number;
  end: number;
}

/** Reasons that only occur inside opening hours (closed time is labelled closed first). */
const OPEN_REASONS = new Set(["booked", "lead_time", "horizon", "slot_grid", "blackout"]);

/**
 * The opening hours of one Beijing day across instruments: from the first to the last moment
 * any of them is free, or unbookable for a reason that only open time has (booked, lead time,
 * horizon, blackout), widened to whole hours; null when none is open that day. A registry block
 * (calibration, out of service) hides an instrument's hours, so it does not widen the day. An
 * availability without reasons (an older server) leaves the whole day open.
 */
export function openingWindow(day: Date, availabilities: (Availability | undefined)[]): OpenWindow | null {
  const dayStart = day.getTime();
  const dayEnd = dayStart + DAY_MS;
  let first = Infinity;
  let last = -Infinity;
  for (const availability of availabilities) {
    if (!availability) continue;
    if (!availability.unavailable) return { start: dayStart, end: dayEnd };
    const open = [
      ...availability.free,
      ...availability.unavailable.filter((u) => OPEN_REASONS.has(u.reason)),
    ];
    for (const period of open) {
      const s = Math.max(Date.parse(period.start), dayStart);
      const e = Math.min(Date.parse(period.end), dayEnd);
      if (s >= e) continue;
      first = Math.min(first, s);
      last = Math.max(last, e);
    }
  }
  if (!(first < last)) return null;
  return {
    start: dayStart + Math.floor((first - dayStart) / HOUR_MS) * HOUR_MS,
    end: dayStart + Math.ceil((last - dayStart) / HOUR_MS) * HOUR_MS,
  };
}

/** One day column of the week timeline: its opening hours (null: closed) cut in slots. */
export interface DayColumn {
  day: Date;
  open: OpenWindow | null;
  slots: number;
}

/** The columns of the week: each day subdivided by its opening hours in `minutes` slots. */
export function weekColumns(
  days: Date[],
  availabilities: (Availability | undefined)[],
  minutes: number,
): DayColumn[] {
  return days.map((day) => {
    const open = openingWindow(day, availabilities);
    const slots = open ? Math.round((open.end - open.start) / (minutes * 60_000)) : 0;
    return { day, open, slots };
  });
}

/** One instrument's cells for each day column (none on a closed day). */
export function weekCells(
  columns: DayColumn[],
  minutes: number,
  availability: Availability | undefined,
): Cell[][] {
  return columns.map((c) => (c.open ? spanCells(c.open.start, c.open.end, minutes, availability) : []));
}

/** A run of neighbouring cells of one kind (and reason): what the week view draws. */
export interface Block {
  kind: CellKind;
  reason?: string;
  /** First and last cell of the run (inclusive). */
  from: number;
  to: number;
  start: number;
  end: number;
}

/** The cells merged into runs of the same kind and reason. */
export function blocks(cells: Cell[]): Block[] {
  const out: Block[] = [];
  cells.forEach((cell, index) => {
    const last = out[out.length - 1];
    if (last && last.kind === cell.kind && last.reason === cell.reason && last.end === cell.start) {
      last.to = index;
      last.end = cell.end;
    } else {
      out.push({
        kind: cell.kind,
        reason: cell.reason,
        from: index,
        to: index,
        start: cell.start,
        end: cell.end,
      });
    }
  });
  return out;
}

/** The cell under a pointer at `x` in a bar from `left`, `width` wide, of `count` equal cells. */
export function cellAt(x: number, left: number, width: number, count: number): number | null {
  if (!(width > 0) || count <= 0) return null;
  return Math.min(count - 1, Math.max(0, Math.floor(((x - left) / width) * count)));
}

/** From free cell `index` to the end of its free stretch; null when that cell is not free. */
export function freeStretch(cells: Cell[], index: number): Slot | null {
  if (cells[index]?.kind !== "free") return null;
  let last = index;
  while (cells[last + 1]?.kind === "free" && cells[last + 1]!.start === cells[last]!.end) last += 1;
  return {
    start: new Date(cells[index]!.start).toISOString(),
    end: new Date(cells[last]!.end).toISOString(),
  };
}
