import type { LatestValue } from "../../api";

export interface HistoryPoint {
  ts: number;
  value: number;
}

/** How many readings per point the sparkline keeps: a minute at the 1 s refresh. */
export const HISTORY_LENGTH = 60;

/**
 * Readings seen in this browser session, per instrument point. Polling returns only the latest
 * value, so the trend is whatever this tab has observed; it is kept outside React so that it
 * survives leaving and re-opening an instrument page.
 */
export class SessionHistory {
  private readonly series = new Map<string, HistoryPoint[]>();

  constructor(private readonly capacity: number = HISTORY_LENGTH) {}

  static key(instrumentId: string, row: Pick<LatestValue, "device_key" | "point_key">): string {
    return `${instrumentId}/${row.device_key}.${row.point_key}`;
  }

  /** Adds readings newer than the last one kept; repeating a poll's rows changes nothing. */
  record(instrumentId: string, rows: readonly LatestValue[]): void {
    for (const row of rows) {
      if (row.ts === null || row.value === null || !Number.isFinite(row.value)) continue;
      const ts = Date.parse(row.ts);
      if (Number.isNaN(ts)) continue;
      const key = SessionHistory.key(instrumentId, row);
      const points = this.series.get(key) ?? [];
      const last = points[points.length - 1];
      if (last && ts <= last.ts) continue;
      points.push({ ts, value: row.value });
      if (points.length > this.capacity) points.splice(0, points.length - this.capacity);
      this.series.set(key, points);
    }
  }

  get(instrumentId: string, row: Pick<LatestValue, "device_key" | "point_key">): readonly HistoryPoint[] {
    return this.series.get(SessionHistory.key(instrumentId, row)) ?? [];
  }
}

export const sessionHistory = new SessionHistory();
