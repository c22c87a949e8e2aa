import type { Availability, Slot } from "./api";

/** One cell of the day timeline: free, or the reason it cannot be booked. */
export type CellKind = "free" | "booked" | "closed" | "blocked" | "past";

export interface Cell {
  start: number;
  end: number;
  kind: CellKind;
  /** The server's reason for an unavailable cell (booked, closed, calibration_expired, ...). */
  reason?: string;
}

const PAST = new Set(["lead_time", "horizon", "slot_grid"]);
const CLOSED = new Set(["closed", "blackout"]);

/** The colour of each kind of cell, shared by the day and week timelines and their legend. */
export const KIND_COLOURS: Record<CellKind, string> = {
  free: "#d9f7be",
  booked: "#91caff",
  closed: "#f0f0f0",
  blocked: "#ffd591",
  past: "#fafafa",
};

/** The cells of one day (from `dayStart`, `minutes` each) for one instrument's availability. */
export function dayCells(dayStart: Date, minutes: number, availability: Availability | undefined): Cell[] {
  return spanCells(dayStart.getTime(), dayStart.getTime() + 24 * 3600_000, minutes, availability);
}

/** The cells from `from` to `to` (epoch ms, `minutes` each) for one instrument's availability. */
export function spanCells(
  from: number,
  to: number,
  minutes: number,
  availability: Availability | undefined,
): Cell[] {
  const step = minutes * 60_000;
  const count = Math.max(0, Math.round((to - from) / step));
  const free = (availability?.free ?? []).map((s) => [Date.parse(s.start), Date.parse(s.end)] as const);
  const unavailable = (availability?.unavailable ?? availability?.blocked ?? []).map(
    (u) => [Date.parse(u.start), Date.parse(u.end), u.reason] as const,
  );
  return Array.from({ length: count }, (_, i) => {
    const start = from + i * step;
    const end = start + step;
    if (free.some(([s, e]) => s <= start && end <= e)) return { start, end, kind: "free" };
    const hit = unavailable.find(([s, e]) => s < end && start < e);
    const reason = hit?.[2];
    if (!reason) return { start, end, kind: "past" };
    const kind: CellKind =
      reason === "booked" ? "booked" : CLOSED.has(reason) ? "closed" : PAST.has(reason) ? "past" : "blocked";
    return { start, end, kind, reason };
  });
}

/** The slot from cell `from` to cell `to` (either order) when every cell between is free. */
export function selection(cells: Cell[], from: number, to: number): Slot | null {
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const span = cells.slice(lo, hi + 1);
  if (span.length === 0 || span.some((c) => c.kind !== "free")) return null;
  return {
    start: new Date(span[0]!.start).toISOString(),
    end: new Date(span[span.length - 1]!.end).toISOString(),
  };
}
