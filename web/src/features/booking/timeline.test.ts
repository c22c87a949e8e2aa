import { describe, expect, it } from "vitest";
import { dayCells, selection } from "./timeline";

// 2030-06-04 00:00 Beijing time.
const DAY = new Date("2030-06-03T16:00:00Z");
const AVAILABILITY = {
  instrument_id: "i-1",
  // 08:30–10:00 and 11:00–12:00 Beijing time free.
  free: [
    { start: "2030-06-04T00:30:00Z", end: "2030-06-04T02:00:00Z" },
    { start: "2030-06-04T03:00:00Z", end: "2030-06-04T04:00:00Z" },
  ],
  blocked: [],
  unavailable: [
    { start: "2030-06-03T16:00:00Z", end: "2030-06-04T00:30:00Z", reason: "closed", detail: "" },
    { start: "2030-06-04T02:00:00Z", end: "2030-06-04T03:00:00Z", reason: "booked", detail: "" },
    { start: "2030-06-04T04:00:00Z", end: "2030-06-04T05:00:00Z", reason: "calibration_expired", detail: "" },
  ],
};

describe("day timeline", () => {
  it("marks each half hour free, booked, closed or blocked with the server's reason", () => {
    const cells = dayCells(DAY, 30, AVAILABILITY);
    expect(cells).toHaveLength(48);
    expect(cells[16]!.kind).toBe("closed"); // 08:00
    expect(cells[17]!.kind).toBe("free"); // 08:30
    expect(cells[20]!.kind).toBe("booked"); // 10:00
    expect(cells[24]).toMatchObject({ kind: "blocked", reason: "calibration_expired" }); // 12:00
  });

  it("selects a dragged range only when every cell in it is free", () => {
    const cells = dayCells(DAY, 30, AVAILABILITY);
    expect(selection(cells, 19, 17)).toEqual({
      start: "2030-06-04T00:30:00.000Z",
      end: "2030-06-04T02:00:00.000Z",
    });
    expect(selection(cells, 17, 22)).toBeNull(); // across the booked 10:00–11:00
  });
});
