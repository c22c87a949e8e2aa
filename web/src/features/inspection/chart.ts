import type { ChartPoints, LimitsVersion } from "./api";

/** Horizontal lines of a control chart: centre, ±1σ/±2σ zone edges, control and spec limits. */
export interface ChartLines {
  center: number | null;
  ucl: number | null;
  lcl: number | null;
  zones: number[];
  lsl: number | null;
  usl: number | null;
}

/** The lines of the limits version in force (the last one), or only the specification. */
export function chartLines(limits: LimitsVersion[], lsl: number | null, usl: number | null): ChartLines {
  const current = limits.length ? limits[limits.length - 1] : null;
  if (!current) return { center: null, ucl: null, lcl: null, zones: [], lsl, usl };
  const sigma = (current.ucl - current.center) / 3;
  return {
    center: current.center,
    ucl: current.ucl,
    lcl: current.lcl,
    zones: [-2, -1, 1, 2].map((k) => current.center + k * sigma),
    lsl,
    usl,
  };
}

/** Why a point is marked: its violated tests' numbers and whether it is out of specification. */
export function pointProblems(points: ChartPoints, i: number): { rules: number[]; outOfSpec: boolean } {
  return { rules: points.rules[i] ?? [], outOfSpec: points.out_of_spec[i] ?? false };
}

/**
 * What the legend says while a point is hovered: each violated test with its description, and
 * whether the point is outside the specification; empty for an unremarkable point.
 */
export function explainPoint(
  points: ChartPoints,
  i: number,
  ruleText: (rule: number) => string,
  outOfSpecText: string,
): string {
  const { rules, outOfSpec } = pointProblems(points, i);
  return [...rules.map((r) => `${r}: ${ruleText(r)}`), ...(outOfSpec ? [outOfSpecText] : [])].join("; ");
}

/** Locations of marked points (violations or out of specification), null elsewhere (uPlot gaps). */
export function markedSeries(points: ChartPoints): (number | null)[] {
  return points.location.map((value, i) => (points.rules[i]?.length || points.out_of_spec[i] ? value : null));
}

/** Points a chart asks for: the API's page (its default; at most 20,000). */
export const CHART_PAGE = 10_000;
/** Room in the page for points plotted after the characteristic list was read (every 5 s). */
export const CHART_HEADROOM = 1_000;

/**
 * `?start=…&limit=…` for the newest points of a chart that had `points` points when the list
 * was read: the page ends CHART_HEADROOM positions beyond them, so points plotted since show too.
 */
export function chartPageQuery(points: number): string {
  const start = Math.max(0, points - (CHART_PAGE - CHART_HEADROOM));
  return `?start=${start}&limit=${CHART_PAGE}`;
}

/** `?from=…&to=…` for a capability period of whole days in Beijing time (to is inclusive). */
export function periodQuery(from: string, to: string): string {
  const params = new URLSearchParams();
  if (from) params.set("from", `${from}T00:00:00+08:00`);
  if (to) {
    const next = new Date(`${to}T00:00:00+08:00`);
    next.setTime(next.getTime() + 24 * 3600 * 1000);
    params.set("to", next.toISOString());
  }
  const query = params.toString();
  return query ? `?${query}` : "";
}

/** Positions in [first, last] that are not excluded, parsed from "3, 7,12". */
export function parseExclusions(textValue: string, first: number, last: number): number[] | null {
  const parts = textValue
    .split(/[,，\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const positions = parts.map(Number);
  if (positions.some((p) => !Number.isInteger(p) || p < first || p > last)) return null;
  return [...new Set(positions)].sort((a, b) => a - b);
}
