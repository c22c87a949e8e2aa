import { describe, expect, it } from "vitest";
import { beijingMidnight, freeMinutesOn, slotsOn, toBeijingInput, weekDays } from "./calendar";

describe("week calendar in Beijing time", () => {
  it("starts each day at Beijing midnight, seven days in a row", () => {
    // 2026-12-07 23:30 UTC is already 2026-12-08 07:30 in Beijing.
    const days = weekDays(new Date("2026-12-07T23:30:00Z"));
    expect(days).toHaveLength(7);
    expect(days[0]!.toISOString()).toBe("2026-12-07T16:00:00.000Z");
    expect(days[6]!.toISOString()).toBe("2026-12-13T16:00:00.000Z");
    expect(beijingMidnight(new Date("2026-12-08T15:59:00Z")).toISOString()).toBe("2026-12-07T16:00:00.000Z");
  });

  it("counts free minutes per day and cuts slots at midnight", () => {
    const day = new Date("2026-12-07T16:00:00Z"); // 2026-12-08 in Beijing
    const free = [
      { start: "2026-12-08T00:30:00Z", end: "2026-12-08T03:00:00Z" }, // 08:30-11:00
      { start: "2026-12-08T05:00:00Z", end: "2026-12-08T09:30:00Z" }, // 13:00-17:30
      { start: "2026-12-08T14:00:00Z", end: "2026-12-08T18:00:00Z" }, // 22:00-02:00 next day
    ];
    expect(freeMinutesOn(day, free)).toBe(150 + 270 + 120);
    const slots = slotsOn(day, free);
    expect(slots[2]).toEqual({ start: "2026-12-08T14:00:00.000Z", end: "2026-12-08T16:00:00.000Z" });
    expect(freeMinutesOn(new Date("2026-12-08T16:00:00Z"), free)).toBe(120);
  });

  it("fills a datetime-local input with Beijing wall time", () => {
    expect(toBeijingInput("2026-12-08T01:00:00Z")).toBe("2026-12-08T09:00");
  });
});

describe("session data of a booking", () => {
  it("exports the booked window, stretched to an over-run", async () => {
    const { sessionDataPath } = await import("./download");
    const booking = {
      instrument_id: "i-1",
      start_at: "2026-12-08T01:00:00Z",
      end_at: "2026-12-08T03:00:00Z",
      actual_start_at: "2026-12-08T01:05:00Z",
      actual_end_at: "2026-12-08T03:20:00Z",
    };
    const url = new URL(sessionDataPath(booking), "http://x");
    expect(url.pathname).toBe("/instruments/i-1/export");
    expect(url.searchParams.get("start")).toBe("2026-12-08T01:05:00Z");
    expect(url.searchParams.get("end")).toBe("2026-12-08T03:20:00Z");
    expect(
      new URL(sessionDataPath({ ...booking, actual_end_at: null }), "http://x").searchParams.get("end"),
    ).toBe("2026-12-08T03:00:00Z");
  });
});
