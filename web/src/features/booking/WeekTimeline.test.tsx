import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Instrument } from "../../api/types";
import { FakeServer } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import type { UnavailablePeriod } from "./api";
import { WeekTimeline } from "./WeekTimeline";

const chamber = { id: "i-1", name: "高低温试验箱", name_en: "Temperature chamber" } as Instrument;

// Monday 2026-12-07 00:00 Beijing time; "today" is Wednesday 12-09.
const MONDAY = Date.parse("2026-12-06T16:00:00Z");
const HOUR = 3600_000;
const at = (day: number, hour: number) => new Date(MONDAY + day * 24 * HOUR + hour * HOUR).toISOString();
const period = (day: number, from: number, to: number, reason: string): UnavailablePeriod => ({
  start: at(day, from),
  end: at(day, to),
  reason,
  detail: "",
});

describe("week timeline", () => {
  it("shows a booked block and a closed day, and a click picks free time in Beijing time", async () => {
    // Open 09:00–17:00 on weekdays; Thursday booked 10:00–12:00; the weekend closed.
    const unavailable: UnavailablePeriod[] = [];
    for (const day of [0, 1, 2, 3, 4]) {
      unavailable.push(period(day, 0, 9, "closed"));
      if (day === 3) unavailable.push(period(3, 10, 12, "booked"));
      unavailable.push(period(day, 17, 24, "closed"));
    }
    unavailable.push(period(5, 0, 48, "closed"));
    const free = [0, 1, 2, 4]
      .map((day) => ({ start: at(day, 9), end: at(day, 17) }))
      .concat([
        { start: at(3, 9), end: at(3, 10) },
        { start: at(3, 12), end: at(3, 17) },
      ]);
    const server = new FakeServer().on("GET /api/v1/availability", [
      { instrument_id: "i-1", free, blocked: [], unavailable },
    ]);
    const onSelect = vi.fn();
    renderWithApp(<WeekTimeline instruments={[chamber]} onSelect={onSelect} now={new Date(at(2, 10))} />, {
      server,
      token: "t",
      locale: "zh-CN",
    });
    const booked = await screen.findByRole("img", { name: "12-10 周四 10:00–12:00 已预约" });
    expect(booked).toHaveAttribute("data-kind", "booked");
    // Monday to Sunday; the weekend has no opening hours at all.
    expect(screen.getAllByTestId("week-day")).toHaveLength(5);
    const closed = screen.getAllByTestId("week-day-closed");
    expect(closed).toHaveLength(2);
    expect(within(closed[0]!).getByText("12-12 周六")).toBeInTheDocument();
    expect(within(closed[0]!).getByText("全天休息")).toBeInTheDocument();
    expect(screen.getAllByText("09:00–17:00")).toHaveLength(5);
    // The week asked for is Monday to Monday.
    const request = server.requestsTo("/api/v1/availability")[0]!;
    expect(new URLSearchParams(request.query).get("start")).toBe("2026-12-06T16:00:00.000Z");
    expect(new URLSearchParams(request.query).get("end")).toBe("2026-12-13T16:00:00.000Z");

    // Thursday afternoon's free stretch: 12:00–17:00 Beijing is 04:00–09:00 UTC.
    await userEvent.click(screen.getByRole("button", { name: "12-10 周四 12:00–17:00 空闲" }));
    await waitFor(() =>
      expect(onSelect).toHaveBeenCalledWith(
        "i-1",
        { start: "2026-12-10T04:00:00.000Z", end: "2026-12-10T09:00:00.000Z" },
        false,
      ),
    );
  });
});
