import { describe, expect, it } from "vitest";
import { clock, slotLabel, yuan } from "./publicFormat";

describe("public instrument page formats", () => {
  it("shows a free period in Beijing time with its weekday, in either language", () => {
    // 00:30 UTC on Thursday 3 December 2026 is 08:30 in Beijing.
    expect(slotLabel("2026-12-03T00:30:00Z", "2026-12-03T09:30:00Z", "zh-CN")).toBe("12-03 周四 08:30–17:30");
    expect(slotLabel("2026-12-03T00:30:00Z", "2026-12-03T09:30:00Z", "en")).toBe("Thu 12-03 08:30–17:30");
    // 16:30 UTC is already the next day in Beijing.
    expect(slotLabel("2026-12-02T16:30:00Z", "2026-12-04T01:00:00Z", "zh-CN")).toBe(
      "12-03 周四 00:30–12-04 09:00",
    );
  });

  it("keeps fees exact and marks the end of day", () => {
    expect(yuan("182.82")).toBe("182.82");
    expect(yuan("1234567.5")).toBe("1,234,567.50");
    expect(yuan("0.10")).toBe("0.10");
    expect(clock("17:30:00")).toBe("17:30");
    expect(clock("00:00:00", true)).toBe("24:00");
  });
});
