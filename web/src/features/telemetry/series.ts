import { formatShanghaiTime } from "../../lib/format";

/** The server's down-sampled series (columnar) and its conversion to uPlot's data layout. */
export interface SeriesResponse {
  channel_id: number;
  unit: string;
  start: string;
  end: string;
  bucket_seconds: number;
  source: "raw" | "rollup" | string;
  t: number[];
  min: (number | null)[];
  max: (number | null)[];
  mean: (number | null)[];
  count: number[];
}

export interface StateIntervalResponse {
  state: string;
  start_at: string;
  end_at: string | null;
}

/** uPlot wants seconds on x and one array per line: [x, mean, min, max]. */
export type ChartData = [number[], (number | null)[], (number | null)[], (number | null)[]];

export function toChartData(series: SeriesResponse): ChartData {
  const x = series.t.map((ms) => ms / 1000);
  // Empty buckets (count 0) become gaps in the line instead of dropping to zero.
  const keep = (values: (number | null)[]) => values.map((v, i) => (series.count[i] ? v : null));
  return [x, keep(series.mean), keep(series.min), keep(series.max)];
}

/**
 * Pixel columns to ask for: one per device pixel across the chart, within the server's limit.
 * The server answers each column with its first, lowest, highest and last value, which draw
 * the same line as every sample would.
 */
export function columnsForWidth(widthPx: number, pixelRatio = 1): number {
  return Math.max(100, Math.min(10_000, Math.round(widthPx * pixelRatio)));
}

export interface TimelineSegment {
  state: string;
  left: number;
  width: number;
}

/** State intervals as fractions of the visible range (0..1), for a horizontal bar. */
export function timelineSegments(
  intervals: StateIntervalResponse[],
  startMs: number,
  endMs: number,
  nowMs: number = Date.now(),
): TimelineSegment[] {
  const span = endMs - startMs;
  if (span <= 0) return [];
  return intervals
    .map((interval) => {
      const from = Math.max(Date.parse(interval.start_at), startMs);
      const to = Math.min(interval.end_at ? Date.parse(interval.end_at) : Math.min(nowMs, endMs), endMs);
      return { state: interval.state, left: (from - startMs) / span, width: (to - from) / span };
    })
    .filter((segment) => segment.width > 0);
}

/** A column's width in words; pixel columns are rarely round, so two significant digits. */
export function formatBucket(seconds: number): string {
  const round = (value: number) => Number(value.toPrecision(2));
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${round(seconds)} s`;
  if (seconds < 3600) return `${round(seconds / 60)} min`;
  if (seconds < 86400) return `${round(seconds / 3600)} h`;
  return `${round(seconds / 86400)} d`;
}

const SHANGHAI_OFFSET_MS = 8 * 3600e3;

/**
 * uPlot's `tzDate`: a Date whose local fields (getHours() and friends, which uPlot's axis
 * labels read) show Asia/Shanghai wall time whatever the browser's zone. China keeps +08:00
 * all year, so a fixed offset is exact.
 */
export function shanghaiAxisDate(unixSeconds: number): Date {
  const utcMs = unixSeconds * 1000;
  const wall = utcMs + SHANGHAI_OFFSET_MS;
  // Shift by the browser's own offset at that wall time, so local fields read the Shanghai ones.
  return new Date(wall + new Date(wall).getTimezoneOffset() * 60e3);
}

/**
 * The x range of the chart (uPlot seconds): always the requested time range, so a single
 * bucket of data does not stretch the axis over years and an empty hour looks empty.
 */
export function xScaleRange(range: { start: number; end: number }): [number, number] {
  return [range.start / 1000, range.end / 1000];
}

/**
 * Labels of the time axis ticks (uPlot seconds), in Beijing time and 24-hour clock: "HH:mm"
 * with the date "MM-DD" below the first tick and wherever the day changes; dates alone when
 * ticks are a day or more apart.
 */
export function timeAxisLabels(splits: readonly number[], incrementSeconds: number): string[] {
  let previousDay = "";
  return splits.map((seconds) => {
    const stamp = formatShanghaiTime(seconds * 1000); // "YYYY-MM-DD HH:mm:ss"
    const day = stamp.slice(5, 10);
    const clock = stamp.slice(11, 16);
    if (incrementSeconds >= 86400) return day;
    const label = day !== previousDay ? `${clock}\n${day}` : clock;
    previousDay = day;
    return label;
  });
}
