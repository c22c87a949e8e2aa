import { describe, expect, it } from "vitest";
import type { Availability, UnavailablePeriod } from "./api";
import { dayStatus } from "./calendar";
import { bookingsTitle, chargeKindText, dayStatusText } from "./text";

// 2026-12-08 is a Tuesday; its Beijing day starts at 2026-12-07T16:00Z.
const tuesday = new Date("2026-12-07T16:00:00Z");
const saturday = new Date("2026-12-11T16:00:00Z");

/** Beijing wall time on a day given as its midnight instant, as an ISO string. */
function at(day: Date, hours: number): string {
  return new Date(day.getTime() + hours * 3600_000).toISOString();
}

function period(day: Date, from: number, to: number, reason: string, detail = ""): UnavailablePeriod {
  return { start: at(day, from), end: at(day, to), reason, detail };
}

/** A weekday open 08:30-17:30, closed before and after. */
function openDay(day: Date, ...inside: UnavailablePeriod[]): UnavailablePeriod[] {
  return [period(day, 0, 8.5, "closed"), ...inside, period(day, 17.5, 24, "closed")];
}

function nothingFree(unavailable?: UnavailablePeriod[]): Availability {
  return { instrument_id: "i-1", free: [], blocked: [], unavailable };
}

describe("week grid cells without free time", () => {
  it("counts free time first", () => {
    const free = {
      ...nothingFree([]),
      free: [{ start: "2026-12-08T01:00:00Z", end: "2026-12-08T02:30:00Z" }],
    };
    expect(dayStatus(tuesday, free)).toEqual({ kind: "free", minutes: 90 });
  });

  it("names the usability block that covers the day", () => {
    const block = {
      start: "2026-12-08T02:00:00Z",
      end: "2026-12-20T00:00:00Z",
      reason: "calibration_expired",
      detail: "证书过期",
    };
    const blocked = { ...nothingFree([block]), blocked: [block] };
    const status = dayStatus(tuesday, blocked);
    expect(status).toEqual({ kind: "blocked", reason: "calibration_expired", detail: "证书过期" });
    expect(dayStatusText(status as Exclude<typeof status, { kind: "free" }>)).toBe(
      "calendar.reason.calibration_expired",
    );
    // Only in the reasons (a server that lists the block there alone) reads the same.
    expect(dayStatus(tuesday, nothingFree([block]))).toEqual(status);
    // A block that ended the day before does not explain this day.
    const later = new Date("2026-12-20T16:00:00Z");
    expect(
      dayStatus(later, { ...blocked, unavailable: openDay(later, period(later, 8.5, 17.5, "booked")) }).kind,
    ).toBe("full");
  });

  it("tells a day without opening hours from a booked-out one", () => {
    expect(dayStatus(saturday, nothingFree([period(saturday, 0, 24, "closed")])).kind).toBe("closed");
    expect(dayStatus(tuesday, nothingFree(openDay(tuesday, period(tuesday, 8.5, 17.5, "booked")))).kind).toBe(
      "full",
    );
    // Open around the clock and booked out: no closed time at all.
    expect(dayStatus(saturday, nothingFree([period(saturday, 0, 24, "booked")])).kind).toBe("full");
  });

  it("reads a blackout on an open day as closed by the lab, with its reason", () => {
    const blackout = nothingFree(openDay(tuesday, period(tuesday, 8.5, 17.5, "blackout", "年度盘点")));
    const status = dayStatus(tuesday, blackout);
    expect(status).toEqual({ kind: "blackout", detail: "年度盘点" });
    expect(dayStatusText(status as Exclude<typeof status, { kind: "free" }>)).toBe("calendar.blackout");
    // Half blacked out and half booked: the larger share names the day.
    const mostlyBooked = nothingFree(
      openDay(tuesday, period(tuesday, 8.5, 10, "blackout", "停电"), period(tuesday, 10, 17.5, "booked")),
    );
    expect(dayStatus(tuesday, mostlyBooked).kind).toBe("full");
  });

  it("says when today's hours are over or a day lies beyond the booking horizon", () => {
    // 17:00 Beijing with an hour's lead time: the rest of the day's hours cannot be booked.
    const evening = openDay(tuesday, period(tuesday, 8.5, 17.5, "lead_time"));
    expect(dayStatus(tuesday, nothingFree(evening)).kind).toBe("past");
    const thursday = new Date("2026-12-09T16:00:00Z");
    expect(
      dayStatus(thursday, nothingFree(openDay(thursday, period(thursday, 8.5, 17.5, "horizon")))).kind,
    ).toBe("beyondHorizon");
  });

  it("does not guess without the server's reasons", () => {
    expect(dayStatus(tuesday, nothingFree())).toEqual({ kind: "unavailable" });
    expect(dayStatus(tuesday, undefined)).toEqual({ kind: "unavailable" });
    expect(dayStatusText({ kind: "unavailable" })).toBe("calendar.blocked");
    expect(dayStatusText({ kind: "closed" })).toBe("calendar.closed");
    expect(dayStatusText({ kind: "blocked", reason: "alien_invasion", detail: "" })).toBe("calendar.blocked");
  });
});

describe("bookings list and statements wording", () => {
  it("heads the bookings list by whose bookings the server returns", () => {
    expect(bookingsTitle("lab_manager")).toBe("mine.title.institution");
    expect(bookingsTitle("lab_staff")).toBe("mine.title.institution");
    expect(bookingsTitle("enterprise_admin")).toBe("mine.title");
    expect(bookingsTitle("platform_admin")).toBe("mine.title.all");
  });

  it("names every charge kind the server bills, in both languages", () => {
    expect(chargeKindText("zh-CN", "usage")).toBe("机时费");
    expect(chargeKindText("zh-CN", "no_show")).toBe("爽约费");
    expect(chargeKindText("zh-CN", "late_cancellation")).toBe("逾期取消费");
    expect(chargeKindText("en", "late_cancellation")).toBe("Late cancellation");
    expect(chargeKindText("zh-CN", "storage")).toBe("storage");
  });
});
