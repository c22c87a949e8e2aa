import { describe, expect, it } from "vitest";
import type { Availability } from "./api";
import { dayCells } from "./timeline";
import {
  blocks,
  cellAt,
  freeStretch,
  openingWindow,
  weekCells,
  weekColumns,
  weekOf,
  weekStart,
} from "./weekTimeline";

const HOUR = 3600_000;
// Monday 2030-06-03 00:00 Beijing time.
const MONDAY = Date.parse("2030-06-02T16:00:00Z");

const at = (day: number, hour: number) => new Date(MONDAY + day * 24 * HOUR + hour * HOUR).toISOString();

/** Open 08:30–17:30 Monday to Friday, closed at the weekend; booked Tuesday 10:00–11:00,
 *  Monday past, Wednesday to Friday beyond the horizon. */
const CHAMBER: Availability = {
  instrument_id: "i-1",
  free: [
    { start: at(1, 8.5), end: at(1, 10) },
    { start: at(1, 11), end: at(1, 17.5) },
  ],
  blocked: [],
  unavailable: [
    ...[0, 1, 2, 3, 4].flatMap((d) => [
      { start: at(d, 0), end: at(d, 8.5), reason: "closed", detail: "" },
      { start: at(d, 17.5), end: at(d, 24), reason: "closed", detail: "" },
    ]),
    { start: at(1, 10), end: at(1, 11), reason: "booked", detail: "" },
    { start: at(0, 8.5), end: at(0, 17.5), reason: "lead_time", detail: "" },
    ...[2, 3, 4].map((d) => ({ start: at(d, 8.5), end: at(d, 17.5), reason: "horizon", detail: "" })),
    { start: at(5, 0), end: at(7, 0), reason: "closed", detail: "" },
  ],
};

/** Open 07:00–12:00 on Saturday only. */
const BALANCE: Availability = {
  instrument_id: "i-2",
  free: [],
  blocked: [],
  unavailable: [
    { start: at(0, 0), end: at(5, 7), reason: "closed", detail: "" },
    { start: at(5, 7), end: at(5, 12), reason: "horizon", detail: "" },
    { start: at(5, 12), end: at(7, 0), reason: "closed", detail: "" },
  ],
};

describe("week timeline", () => {
  it("starts the week on Monday in Beijing, whatever the UTC day", () => {
    // Sunday 2030-06-09 23:30 in Beijing is still Sunday 15:30 UTC: the week of Monday 06-03.
    expect(weekStart(new Date("2030-06-09T15:30:00Z")).toISOString()).toBe("2030-06-02T16:00:00.000Z");
    // Monday 00:30 in Beijing is Sunday 16:30 UTC: already the next week.
    expect(weekStart(new Date("2030-06-09T16:30:00Z")).toISOString()).toBe("2030-06-09T16:00:00.000Z");
    const days = weekOf(new Date("2030-06-05T04:00:00Z"));
    expect(days).toHaveLength(7);
    expect(days[0]!.toISOString()).toBe("2030-06-02T16:00:00.000Z");
    expect(days[6]!.toISOString()).toBe("2030-06-08T16:00:00.000Z");
  });

  it("cuts each day to the opening hours of any instrument, in whole hours", () => {
    const days = weekOf(new Date(MONDAY));
    expect(openingWindow(days[1]!, [CHAMBER, BALANCE])).toEqual({
      start: Date.parse(at(1, 8)),
      end: Date.parse(at(1, 18)),
    });
    // Saturday: only the balance opens (07:00–12:00); Sunday nobody does.
    expect(openingWindow(days[5]!, [CHAMBER, BALANCE])).toEqual({
      start: Date.parse(at(5, 7)),
      end: Date.parse(at(5, 12)),
    });
    expect(openingWindow(days[6]!, [CHAMBER, BALANCE])).toBeNull();
    // An instrument out of service all week hides its hours: it neither opens nor closes a day.
    const broken: Availability = {
      instrument_id: "i-3",
      free: [],
      blocked: [],
      unavailable: [{ start: at(0, 0), end: at(7, 0), reason: "out_of_service", detail: "" }],
    };
    expect(openingWindow(days[6]!, [CHAMBER, BALANCE, broken])).toBeNull();
    expect(openingWindow(days[1]!, [CHAMBER, broken])).toEqual({
      start: Date.parse(at(1, 8)),
      end: Date.parse(at(1, 18)),
    });
    // Without reasons (an older server) the whole day is shown.
    expect(openingWindow(days[6]!, [{ instrument_id: "x", free: [], blocked: [] }])).toEqual({
      start: days[6]!.getTime(),
      end: days[6]!.getTime() + 24 * HOUR,
    });
    const columns = weekColumns(days, [CHAMBER, BALANCE], 30);
    expect(columns.map((c) => c.slots)).toEqual([20, 20, 20, 20, 20, 10, 0]);
    expect(columns[6]!.open).toBeNull();
  });

  it("merges each day's cells into blocks of one kind", () => {
    const days = weekOf(new Date(MONDAY));
    const columns = weekColumns(days, [CHAMBER, BALANCE], 30);
    const tuesday = weekCells(columns, 30, CHAMBER)[1]!;
    expect(blocks(tuesday).map((b) => [b.kind, b.from, b.to])).toEqual([
      ["closed", 0, 0], // 08:00–08:30
      ["free", 1, 3], // 08:30–10:00
      ["booked", 4, 5], // 10:00–11:00
      ["free", 6, 18], // 11:00–17:30
      ["closed", 19, 19], // 17:30–18:00
    ]);
    expect(weekCells(columns, 30, CHAMBER)[6]).toEqual([]);
    // The same cells as the day view, only cut to the opening hours.
    expect(tuesday).toEqual(dayCells(days[1]!, 30, CHAMBER).slice(16, 36));
  });

  it("maps a pointer to a cell and a click to the rest of its free stretch", () => {
    expect(cellAt(105, 100, 200, 20)).toBe(0);
    expect(cellAt(199, 100, 200, 20)).toBe(9);
    expect(cellAt(400, 100, 200, 20)).toBe(19);
    expect(cellAt(50, 100, 200, 20)).toBe(0);
    expect(cellAt(50, 100, 0, 20)).toBeNull();
    const tuesday = weekCells(weekColumns(weekOf(new Date(MONDAY)), [CHAMBER], 30), 30, CHAMBER)[1]!;
    expect(freeStretch(tuesday, 2)).toEqual({ start: at(1, 9), end: at(1, 10) });
    expect(freeStretch(tuesday, 4)).toBeNull();
  });
});
