import { describe, expect, it } from "vitest";
import { latestRow } from "../../test/fixtures";
import { SessionHistory } from "./sessionHistory";
import { sparklinePath } from "./Sparkline";

const reading = (second: number, value: number | null) =>
  latestRow({ point_key: "temperature", value, ts: `2026-11-27T11:48:${String(second).padStart(2, "0")}Z` });

describe("SessionHistory", () => {
  it("keeps each new reading once, however often the same poll result is rendered", () => {
    const history = new SessionHistory();
    history.record("i1", [reading(1, 20)]);
    history.record("i1", [reading(1, 20)]);
    history.record("i1", [reading(2, 21)]);
    expect(history.get("i1", reading(0, 0)).map((p) => p.value)).toEqual([20, 21]);
  });

  it("ignores readings older than the last one and points without data", () => {
    const history = new SessionHistory();
    history.record("i1", [reading(5, 20), reading(3, 99)]);
    history.record("i1", [latestRow({ point_key: "temperature" })]);
    expect(history.get("i1", reading(0, 0)).map((p) => p.value)).toEqual([20]);
  });

  it("keeps only the newest readings up to its capacity, per instrument", () => {
    const history = new SessionHistory(3);
    for (let s = 0; s < 6; s++) history.record("i1", [reading(s, s)]);
    expect(history.get("i1", reading(0, 0)).map((p) => p.value)).toEqual([3, 4, 5]);
    expect(history.get("i2", reading(0, 0))).toEqual([]);
  });
});

describe("sparklinePath", () => {
  it("needs two points to draw a line", () => {
    expect(sparklinePath([{ ts: 0, value: 1 }], 100, 20)).toBe("");
  });

  it("puts the highest value at the top and spreads points over time", () => {
    const path = sparklinePath(
      [
        { ts: 0, value: 10 },
        { ts: 1000, value: 20 },
      ],
      100,
      20,
    );
    expect(path).toBe("M0.0,18.0 L100.0,2.0");
  });

  it("draws a flat series through the middle", () => {
    expect(
      sparklinePath(
        [
          { ts: 0, value: 5 },
          { ts: 10, value: 5 },
        ],
        100,
        20,
      ),
    ).toBe("M0.0,10.0 L100.0,10.0");
  });
});
