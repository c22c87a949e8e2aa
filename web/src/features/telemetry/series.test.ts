import { describe, expect, it } from "vitest";
import {
  formatBucket,
  columnsForWidth,
  type SeriesResponse,
  shanghaiAxisDate,
  timelineSegments,
  toChartData,
  timeAxisLabels,
  xScaleRange,
} from "./series";

const series: SeriesResponse = {
  channel_id: 1,
  unit: "degC",
  start: "2026-11-20T00:00:00Z",
  end: "2026-11-20T00:03:00Z",
  bucket_seconds: 60,
  source: "raw",
  t: [1795132800000, 1795132860000, 1795132920000],
  min: [1, null, 3],
  max: [2, null, 5],
  mean: [1.5, null, 4],
  count: [10, 0, 7],
};

describe("chart data", () => {
  it("puts seconds on x and mean, min, max as lines, with empty buckets as gaps", () => {
    expect(toChartData(series)).toEqual([
      [1795132800, 1795132860, 1795132920],
      [1.5, null, 4],
      [1, null, 3],
      [2, null, 5],
    ]);
  });

  it("asks for one column per device pixel within the server's limits", () => {
    expect(columnsForWidth(800)).toBe(800);
    expect(columnsForWidth(800, 2)).toBe(1600);
    expect(columnsForWidth(10)).toBe(100);
    expect(columnsForWidth(1e6)).toBe(10000);
  });

  it("names bucket widths in human units", () => {
    expect(formatBucket(0.1)).toBe("100 ms");
    expect(formatBucket(60)).toBe("1 min");
    expect(formatBucket(7200)).toBe("2 h");
    expect(formatBucket(60.293)).toBe("1 min");
    expect(formatBucket(1801.25)).toBe("30 min");
  });
});

describe("state timeline", () => {
  it("places intervals as fractions of the range, clipping at both ends and open ones at now", () => {
    const start = Date.parse("2026-11-20T00:00:00Z");
    const end = Date.parse("2026-11-20T04:00:00Z");
    const now = Date.parse("2026-11-20T03:00:00Z");
    const segments = timelineSegments(
      [
        { state: "idle", start_at: "2026-11-19T23:00:00Z", end_at: "2026-11-20T01:00:00Z" },
        { state: "running", start_at: "2026-11-20T01:00:00Z", end_at: null },
      ],
      start,
      end,
      now,
    );
    expect(segments).toEqual([
      { state: "idle", left: 0, width: 0.25 },
      { state: "running", left: 0.25, width: 0.5 },
    ]);
  });
});

describe("chart axes", () => {
  it("spans the requested range even when the data is a single bucket", () => {
    const start = Date.parse("2026-11-20T00:00:00Z");
    const end = start + 3600e3;
    expect(xScaleRange({ start, end })).toEqual([start / 1000, end / 1000]);
  });

  it("labels time in Beijing whatever the browser's zone", () => {
    // 2026-11-20 23:30 UTC is 07:30 on the 21st in Beijing.
    const local = shanghaiAxisDate(Date.parse("2026-11-20T23:30:00Z") / 1000);
    expect([local.getDate(), local.getHours(), local.getMinutes()]).toEqual([21, 7, 30]);
    const newYear = shanghaiAxisDate(Date.parse("2026-12-31T16:00:00Z") / 1000);
    expect([newYear.getFullYear(), newYear.getMonth(), newYear.getDate(), newYear.getHours()]).toEqual([
      2027, 0, 1, 0,
    ]);
  });

  it("writes tick labels on a 24-hour Beijing clock, dating the first tick and each new day", () => {
    const at = (iso: string) => Date.parse(iso) / 1000;
    const hourly = [at("2026-11-20T14:00:00Z"), at("2026-11-20T15:00:00Z"), at("2026-11-20T16:00:00Z")];
    expect(timeAxisLabels(hourly, 3600)).toEqual(["22:00\n11-20", "23:00", "00:00\n11-21"]);
    expect(timeAxisLabels([at("2026-11-20T16:00:00Z")], 86400)).toEqual(["11-21"]);
  });
});
