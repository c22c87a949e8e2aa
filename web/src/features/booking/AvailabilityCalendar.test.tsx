import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Instrument } from "../../api/types";
import { FakeServer } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import type { UnavailablePeriod } from "./api";
import { AvailabilityCalendar } from "./AvailabilityCalendar";

const chamber = { id: "i-1", name: "高低温试验箱", name_en: "Temperature chamber" } as Instrument;
const balance = { id: "i-2", name: "电子天平", name_en: "Balance" } as Instrument;

// The week shown: Tue 2026-12-08 .. Mon 2026-12-14 (Beijing days).
const FIRST = Date.parse("2026-12-07T16:00:00Z");
const HOUR = 3600_000;

function span(day: number, from: number, to: number, reason: string, detail = ""): UnavailablePeriod {
  const start = FIRST + day * 24 * HOUR;
  return {
    start: new Date(start + from * HOUR).toISOString(),
    end: new Date(start + to * HOUR).toISOString(),
    reason,
    detail,
  };
}

/** The chamber's reasons: weekdays open 08:30-17:30 (days 0-3 and 6), weekend closed; what
 *  happens inside the open hours of each weekday is given per day. */
function chamberWeek(inside: Record<number, UnavailablePeriod[]>): UnavailablePeriod[] {
  const out: UnavailablePeriod[] = [];
  for (const day of [0, 1, 2, 3, 6]) {
    out.push(span(day, 0, 8.5, "closed"), ...(inside[day] ?? []), span(day, 17.5, 24, "closed"));
  }
  out.push(span(4, 0, 24, "closed"), span(5, 0, 24, "closed"));
  return out.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

const outOfService = {
  start: "2026-12-07T16:00:00Z",
  end: "2026-12-14T16:00:00Z",
  reason: "out_of_service",
  detail: "送修",
};

function render(server: FakeServer, onPick = vi.fn()) {
  renderWithApp(
    <AvailabilityCalendar instruments={[chamber, balance]} onPick={onPick} from={new Date(FIRST)} />,
    { server, token: "t", locale: "zh-CN" },
  );
  return onPick;
}

describe("availability week grid", () => {
  it("shows free hours per instrument and day and hands a picked slot to the form", async () => {
    const booked = (day: number) => [span(day, 8.5, 17.5, "booked")];
    const server = new FakeServer().on("GET /api/v1/availability", [
      {
        instrument_id: "i-1",
        free: [{ start: "2026-12-08T00:30:00Z", end: "2026-12-08T03:00:00Z" }],
        blocked: [],
        unavailable: chamberWeek({
          0: [span(0, 11, 17.5, "booked")],
          1: booked(1),
          2: booked(2),
          3: booked(3),
          6: booked(6),
        }),
      },
      { instrument_id: "i-2", free: [], blocked: [outOfService], unavailable: [outOfService] },
    ]);
    const onPick = render(server);
    const cell = await screen.findByRole("button", { name: "2.5 小时可约" });
    // The chamber is booked out on the other four weekdays and closed at the weekend; the
    // balance is out of service all week. Nothing reads "full" falsely.
    expect(screen.getAllByText("休息")).toHaveLength(2);
    expect(screen.getAllByText("已约满")).toHaveLength(4);
    expect(screen.getAllByText("停用")).toHaveLength(7);
    expect(screen.getAllByText("停用")[0]).toHaveAttribute("title", "送修");
    // The server's reasons are enough: no booking policy is fetched to tell closed from full.
    expect(server.requests.filter((r) => r.path.endsWith("/booking-policy"))).toHaveLength(0);
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

  it("reads a blackout on an open weekday as closed by the lab, with its reason", async () => {
    const server = new FakeServer().on("GET /api/v1/availability", [
      {
        instrument_id: "i-1",
        free: [{ start: "2026-12-08T00:30:00Z", end: "2026-12-08T09:30:00Z" }],
        blocked: [],
        unavailable: chamberWeek({
          1: [span(1, 8.5, 17.5, "blackout", "年度盘点")],
          2: [span(2, 8.5, 17.5, "booked")],
          3: [span(3, 8.5, 17.5, "booked")],
          6: [span(6, 8.5, 17.5, "booked")],
        }),
      },
      { instrument_id: "i-2", free: [], blocked: [outOfService], unavailable: [outOfService] },
    ]);
    render(server);
    const closedByLab = await screen.findByText("闭馆");
    expect(closedByLab).toHaveAttribute("title", "年度盘点");
    // Wednesday is the blackout: three booked-out weekdays remain, and the weekend is closed.
    expect(screen.getAllByText("已约满")).toHaveLength(3);
    expect(screen.getAllByText("休息")).toHaveLength(2);
    expect(server.requests.filter((r) => r.path.endsWith("/booking-policy"))).toHaveLength(0);
  });
});
