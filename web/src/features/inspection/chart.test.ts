import { describe, expect, it } from "vitest";
import type { ChartPoints, LimitsVersion } from "./api";
import {
  chartLines,
  chartPageQuery,
  explainPoint,
  markedSeries,
  parseExclusions,
  periodQuery,
} from "./chart";

const points: ChartPoints = {
  position: [0, 1, 2],
  ts_ms: [0, 1, 2],
  subgroup: [null, null, null],
  n: [1, 1, 1],
  location: [25.0, 25.01, 25.02],
  spread: [null, 0.01, 0.01],
  limits_version: [1, 1, 1],
  z: [0, 1, 2],
  rules: [[], [3], []],
  out_of_spec: [false, false, true],
  spread_out: [false, false, false],
};

describe("control chart helpers", () => {
  it("draws the zones of the current limits version", () => {
    const limits = [{ center: 25, ucl: 25.03, lcl: 24.97 } as LimitsVersion];
    const lines = chartLines(limits, 24.9, 25.1);
    expect(lines.center).toBe(25);
    expect(lines.zones.map((z) => z.toFixed(3))).toEqual(["24.980", "24.990", "25.010", "25.020"]);
    expect(chartLines([], 24.9, null)).toMatchObject({ center: null, lsl: 24.9, usl: null, zones: [] });
  });

  it("marks only violating or out-of-specification points", () => {
    expect(markedSeries(points)).toEqual([null, 25.01, 25.02]);
  });

  it("explains a hovered point by its tests and the specification", () => {
    const rule = (r: number) => ({ 3: "6 in a row rising or falling" })[r] ?? "?";
    expect(explainPoint(points, 0, rule, "outside specification")).toBe("");
    expect(explainPoint(points, 1, rule, "outside specification")).toBe("3: 6 in a row rising or falling");
    expect(explainPoint(points, 2, rule, "outside specification")).toBe("outside specification");
  });

  it("asks for the newest points of a long chart, with room for those plotted since", () => {
    expect(chartPageQuery(0)).toBe("?start=0&limit=10000");
    expect(chartPageQuery(8_500)).toBe("?start=0&limit=10000");
    // 25,000 points: positions 16,000 … 25,999 — the last 9,000 known and up to 1,000 new.
    expect(chartPageQuery(25_000)).toBe("?start=16000&limit=10000");
  });

  it("asks for whole Beijing days of capability", () => {
    expect(periodQuery("", "")).toBe("");
    expect(decodeURIComponent(periodQuery("2026-12-01", "2026-12-01"))).toBe(
      "?from=2026-12-01T00:00:00+08:00&to=2026-12-01T16:00:00.000Z",
    );
  });

  it("parses exclusions inside the baseline and refuses the rest", () => {
    expect(parseExclusions("7, 3，3 12", 0, 20)).toEqual([3, 7, 12]);
    expect(parseExclusions("", 0, 20)).toEqual([]);
    expect(parseExclusions("25", 0, 20)).toBeNull();
    expect(parseExclusions("x", 0, 20)).toBeNull();
  });
});
