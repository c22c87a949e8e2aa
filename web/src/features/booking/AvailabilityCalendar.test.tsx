import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Instrument } from "../../api/types";
import { FakeServer } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { AvailabilityCalendar } from "./AvailabilityCalendar";

const chamber = { id: "i-1", name: "高低温试验箱", name_en: "Temperature chamber" } as Instrument;
const balance = { id: "i-2", name: "电子天平", name_en: "Balance" } as Instrument;

describe("availability week grid", () => {
  it("shows free hours per instrument and day and hands a picked slot to the form", async () => {
    const weekdays = [0, 1, 2, 3, 4].map((weekday) => ({ weekday, opens: "08:30:00", closes: "17:30:00" }));
    const server = new FakeServer()
      .on("GET /api/v1/availability", [
        {
          instrument_id: "i-1",
          free: [{ start: "2026-12-08T00:30:00Z", end: "2026-12-08T03:00:00Z" }],
          blocked: [],
        },
        {
          instrument_id: "i-2",
          free: [],
          blocked: [
            {
              start: "2026-12-07T16:00:00Z",
              end: "2026-12-14T16:00:00Z",
              reason: "out_of_service",
              detail: "送修",
            },
          ],
        },
      ])
      .on("GET /api/v1/instruments/i-1/booking-policy", {
        timezone: "Asia/Shanghai",
        lead_time_minutes: 60,
        horizon_days: 90,
        opening_hours: weekdays,
      });
    const onPick = vi.fn();
    renderWithApp(
      <AvailabilityCalendar
        instruments={[chamber, balance]}
        onPick={onPick}
        from={new Date("2026-12-07T16:00:00Z")}
        now={new Date("2026-12-07T20:00:00Z")}
      />,
      { server, token: "t", locale: "zh-CN" },
    );
    const cell = await screen.findByRole("button", { name: "2.5 小时可约" });
    // Tue 12-08 .. Mon 12-14: the chamber is open on weekdays and booked out on the other three,
    // closed at the weekend; the balance is out of service all week. Nothing reads "full" falsely.
    await waitFor(() => expect(screen.getAllByText("休息")).toHaveLength(2));
    expect(screen.getAllByText("已约满")).toHaveLength(4);
    expect(screen.getAllByText("停用")).toHaveLength(7);
    expect(screen.getAllByText("停用")[0]).toHaveAttribute("title", "送修");
    // Only the instrument with unexplained days needs its opening hours.
    expect(server.requestsTo("/api/v1/instruments/i-2/booking-policy")).toHaveLength(0);
    const request = server.requestsTo("/api/v1/availability")[0]!;
    expect(request.method).toBe("GET");
    await userEvent.click(cell);
    await userEvent.click(screen.getByRole("button", { name: "08:30–11:00" }));
    await waitFor(() =>
      expect(onPick).toHaveBeenCalledWith("i-1", {
        start: "2026-12-08T00:30:00.000Z",
        end: "2026-12-08T03:00:00.000Z",
      }),
    );
  });
});
