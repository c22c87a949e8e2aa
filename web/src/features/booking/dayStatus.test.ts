import { describe, expect, it } from "vitest";
import type { Availability } from "./api";
import { type BookingWindowPolicy, dayStatus } from "./calendar";
import { bookingsTitle, chargeKindText, dayStatusText } from "./text";

// 2026-12-08 is a Tuesday; its Beijing day starts at 2026-12-07T16:00Z.
const tuesday = new Date("2026-12-07T16:00:00Z");
const saturday = new Date("2026-12-11T16:00:00Z");
const mondayMorning = new Date("2026-12-07T00:00:00Z");

const weekdaysOnly: BookingWindowPolicy = {
  timezone: "Asia/Shanghai",
  lead_time_minutes: 60,
  horizon_days: 90,
  opening_hours: [0, 1, 2, 3, 4].map((weekday) => ({ weekday, opens: "08:30:00", closes: "17:30:00" })),
};

const nothingFree: Availability = { instrument_id: "i-1", free: [], blocked: [] };

describe("week grid cells without free time", () => {
  it("counts free time first", () => {
    const free = { ...nothingFree, free: [{ start: "2026-12-08T01:00:00Z", end: "2026-12-08T02:30:00Z" }] };
    expect(dayStatus(tuesday, free, weekdaysOnly, mondayMorning)).toEqual({ kind: "free", minutes: 90 });
  });

  it("names the usability block that covers the day", () => {
    const blocked = {
      ...nothingFree,
      blocked: [
        {
          start: "2026-12-08T02:00:00Z",
          end: "2026-12-20T00:00:00Z",
          reason: "calibration_expired",
          detail: "证书过期",
        },
      ],
    };
    const status = dayStatus(tuesday, blocked, undefined, mondayMorning);
    expect(status).toEqual({ kind: "blocked", reason: "calibration_expired", detail: "证书过期" });
    expect(dayStatusText(status as Exclude<typeof status, { kind: "free" }>)).toBe(
      "calendar.reason.calibration_expired",
    );
    // A block that ended the day before does not explain this day.
    expect(dayStatus(new Date("2026-12-20T16:00:00Z"), blocked, weekdaysOnly, mondayMorning).kind).toBe(
      "full",
    );
  });

  it("tells a day without opening hours from a booked-out one", () => {
    expect(dayStatus(saturday, nothingFree, weekdaysOnly, mondayMorning).kind).toBe("closed");
    expect(dayStatus(tuesday, nothingFree, weekdaysOnly, mondayMorning).kind).toBe("full");
    // An empty calendar is open around the clock: nothing free there means booked out.
    const aroundTheClock = { ...weekdaysOnly, opening_hours: [] };
    expect(dayStatus(saturday, nothingFree, aroundTheClock, mondayMorning).kind).toBe("full");
  });

  it("says when today's hours are over or a day lies beyond the booking horizon", () => {
    const tuesdayEvening = new Date("2026-12-08T09:00:00Z"); // 17:00 Beijing, within the lead time
    expect(dayStatus(tuesday, nothingFree, weekdaysOnly, tuesdayEvening).kind).toBe("past");
    const shortHorizon = { ...weekdaysOnly, horizon_days: 1 };
    expect(dayStatus(new Date("2026-12-09T16:00:00Z"), nothingFree, shortHorizon, mondayMorning).kind).toBe(
      "beyondHorizon",
    );
  });

  it("does not guess without the opening hours", () => {
    expect(dayStatus(tuesday, nothingFree, undefined, mondayMorning).kind).toBe("unavailable");
    expect(dayStatus(tuesday, undefined, weekdaysOnly, mondayMorning).kind).toBe("unavailable");
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
