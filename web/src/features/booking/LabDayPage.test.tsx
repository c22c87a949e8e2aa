import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json, type RecordedRequest } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { attendance, byInstrument } from "./attendance";
import { FlaggedBookings } from "./FlaggedBookings";
import { LabDayPage } from "./LabDayPage";

const HOUR = 3_600_000;

function detailed(id: string, startOffsetHours: number, extra: Record<string, unknown> = {}) {
  const start = new Date(Date.now() + startOffsetHours * HOUR);
  return {
    id,
    instrument_id: "i-1",
    organisation_id: "o-2",
    user_id: "u-2",
    start_at: start.toISOString(),
    end_at: new Date(start.getTime() + 2 * HOUR).toISOString(),
    status: "confirmed",
    mode: "self_operated",
    sample_count: 0,
    test_items: [],
    purpose: "",
    series_id: null,
    user_category: "enterprise",
    quoted_amount: "310.00",
    checked_in_at: null,
    check_in_source: null,
    actual_start_at: null,
    actual_end_at: null,
    actual_minutes: null,
    overrun_minutes: 0,
    flag: null,
    flag_detail: null,
    decision_reason: null,
    created_at: start.toISOString(),
    booker: {
      user_id: "u-2",
      full_name: "张伟",
      email: "buyer@jingce.demo",
      organisation_id: "o-2",
      organisation_name: "杭州精测科技",
      organisation_name_en: "Hangzhou Jingce Technology",
    },
    operator: { state: "authorised", lapses_at: null },
    unusable: null,
    ...extra,
  };
}

const INSTRUMENTS = [{ id: "i-1", name: "高低温试验箱", name_en: "Temperature chamber" }];

describe("what the lab can do about a booking of the day", () => {
  const booking = {
    status: "confirmed",
    start_at: "2030-06-01T01:00:00Z",
    end_at: "2030-06-01T03:00:00Z",
    overrun_minutes: 0,
  };
  const at = (iso: string) => Date.parse(iso);

  it("opens check-in 15 minutes before the start and closes it at the end", () => {
    expect(attendance(booking, at("2030-06-01T00:44:00Z")).canCheckIn).toBe(false);
    expect(attendance(booking, at("2030-06-01T00:45:00Z")).canCheckIn).toBe(true);
    expect(attendance(booking, at("2030-06-01T02:59:00Z")).canCheckIn).toBe(true);
    expect(attendance(booking, at("2030-06-01T03:00:00Z")).canCheckIn).toBe(false);
  });

  it("allows a no-show only once the booked start has passed", () => {
    expect(attendance(booking, at("2030-06-01T00:59:00Z")).canMarkNoShow).toBe(false);
    expect(attendance(booking, at("2030-06-01T01:00:00Z")).canMarkNoShow).toBe(true);
    expect(attendance({ ...booking, status: "checked_in" }, at("2030-06-01T01:30:00Z")).canMarkNoShow).toBe(
      false,
    );
  });

  it("counts a checked-in booking past its end as running over, and keeps a completed one's record", () => {
    const running = attendance({ ...booking, status: "checked_in" }, at("2030-06-01T03:25:30Z"));
    expect(running).toMatchObject({ overrunning: true, overrunMinutes: 25 });
    const done = attendance(
      { ...booking, status: "completed", overrun_minutes: 40 },
      at("2030-06-02T00:00:00Z"),
    );
    expect(done).toMatchObject({ overrunning: false, overrunMinutes: 40 });
  });

  it("groups the day per instrument in the order of each one's first booking", () => {
    const groups = byInstrument([
      { instrument_id: "b", start_at: "2030-06-01T05:00:00Z" },
      { instrument_id: "a", start_at: "2030-06-01T03:00:00Z" },
      { instrument_id: "b", start_at: "2030-06-01T01:00:00Z" },
    ]);
    expect(groups.map(([id, rows]) => [id, rows.map((r) => r.start_at.slice(11, 13))])).toEqual([
      ["b", ["01", "05"]],
      ["a", ["03"]],
    ]);
  });
});

describe("the lab's day", () => {
  it("asks for the Beijing day, checks a booker in and confirms a no-show before recording it", async () => {
    const started = detailed("b-late", -0.5);
    const soon = detailed("b-soon", 0.1);
    const server = new FakeServer()
      .on("GET /api/v1/instruments", json(INSTRUMENTS))
      .on("GET /api/v1/bookings/detailed", (request: RecordedRequest) =>
        json(request.query.includes("flagged=true") ? [] : [started, soon]),
      )
      .on("POST /api/v1/bookings/b-soon/check-in", json({ ...soon, status: "checked_in" }))
      .on("POST /api/v1/bookings/b-late/no-show", json({ ...started, status: "no_show" }));
    renderWithApp(<LabDayPage />, { server, token: "t" });

    const region = await screen.findByRole("region", { name: "今日预约" });
    expect(await within(region).findByText("高低温试验箱")).toBeInTheDocument();
    const day = server.requestsTo("/api/v1/bookings/detailed").find((r) => r.query.includes("start="))!;
    const params = new URLSearchParams(day.query);
    // One Beijing day: from 00:00 +08:00 (16:00 UTC the day before) for 24 hours.
    expect(params.get("start")).toMatch(/T16:00:00\.000Z$/);
    expect(Date.parse(params.get("end")!) - Date.parse(params.get("start")!)).toBe(24 * HOUR);

    const user = userEvent.setup();
    // Both are in the check-in window (from 15 minutes before the start); the first started earlier.
    const checkIns = within(region).getAllByRole("button", { name: "签到" });
    expect(checkIns).toHaveLength(2);
    await user.click(checkIns[1]!);
    await waitFor(() => expect(server.requestsTo("/api/v1/bookings/b-soon/check-in")).toHaveLength(1));
    expect(server.requestsTo("/api/v1/bookings/b-late/check-in")).toHaveLength(0);

    // Only the booking that has started can be a no-show, and not before the lab confirms.
    const noShows = within(region).getAllByRole("button", { name: "记为爽约" });
    expect(noShows).toHaveLength(1);
    await user.click(noShows[0]!);
    expect(server.requestsTo("/api/v1/bookings/b-late/no-show")).toHaveLength(0);
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByText(/杭州精测科技/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "记为爽约" }));
    await waitFor(() => expect(server.requestsTo("/api/v1/bookings/b-late/no-show")).toHaveLength(1));
  });
});

describe("affected bookings", () => {
  it("moves the picked bookings by the hours given, with the message, and lists each outcome", async () => {
    const first = detailed("b-1", 30, { flag: "out_of_service", flag_detail: "Intermediate check failed" });
    const second = detailed("b-2", 54, { flag: "out_of_service", flag_detail: "Intermediate check failed" });
    const server = new FakeServer().on("GET /api/v1/bookings/detailed", json([first, second])).on(
      "POST /api/v1/bookings/bulk",
      json([
        { booking_id: "b-1", outcome: "rescheduled", detail: "", booking: first },
        { booking_id: "b-2", outcome: "conflict", detail: "the new slot is already booked", booking: null },
      ]),
    );
    renderWithApp(<FlaggedBookings instruments={INSTRUMENTS as never} />, { server, token: "t" });
    const region = await screen.findByRole("region", { name: "受影响的预约" });
    expect(
      within(region)
        .getAllByTestId("flag")
        .map((tag) => tag.textContent),
    ).toEqual(["停用", "停用"]);
    const query = new URLSearchParams(server.requestsTo("/api/v1/bookings/detailed")[0]!.query);
    expect(query.get("flagged")).toBe("true");
    expect(query.getAll("status")).toEqual(["pending", "confirmed"]);

    const user = userEvent.setup();
    const move = within(region).getByRole("button", { name: "统一改期（0）" });
    expect(move).toBeDisabled();
    for (const box of within(region).getAllByRole("checkbox").slice(1)) await user.click(box);
    await user.click(within(region).getByRole("button", { name: "统一改期（2）" }));
    const dialog = await screen.findByRole("dialog");
    const hours = within(dialog).getByRole("spinbutton");
    await user.clear(hours);
    await user.type(hours, "48");
    await user.type(within(dialog).getByTestId("bulk-reason"), "试验箱送修，顺延两天");
    await user.click(within(dialog).getByRole("button", { name: "改期并通知" }));

    await waitFor(() => expect(server.requestsTo("/api/v1/bookings/bulk")).toHaveLength(1));
    expect(JSON.parse(server.requestsTo("/api/v1/bookings/bulk")[0]!.body!)).toEqual({
      booking_ids: ["b-1", "b-2"],
      action: "reschedule",
      shift_minutes: 2880,
      reason: "试验箱送修，顺延两天",
    });
    const outcomes = await screen.findByTestId("bulk-outcomes");
    expect(outcomes).toHaveTextContent("2 个预约中 1 个已处理");
    expect(outcomes).toHaveTextContent("新时段不可用，未改期");
    expect(outcomes).not.toHaveTextContent("already booked");
  });

  it("will not cancel without a message to the bookers", async () => {
    const flagged = detailed("b-1", 30, { flag: "calibration_expired", flag_detail: "" });
    const server = new FakeServer().on("GET /api/v1/bookings/detailed", json([flagged]));
    renderWithApp(<FlaggedBookings instruments={INSTRUMENTS as never} />, { server, token: "t" });
    const region = await screen.findByRole("region", { name: "受影响的预约" });
    const user = userEvent.setup();
    await user.click(within(region).getAllByRole("checkbox")[1]!);
    await user.click(within(region).getByRole("button", { name: "统一取消（1）" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "取消并通知" }));
    expect(await within(dialog).findByText("取消预约请说明原因")).toBeInTheDocument();
    expect(server.requestsTo("/api/v1/bookings/bulk")).toHaveLength(0);
  });
});
