import { screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { cancellationCharge, MyBookings } from "./MyBookings";

function booking(hoursFromNow: number) {
  const start = new Date(Date.now() + hoursFromNow * 3_600_000);
  return {
    id: "b-1",
    instrument_id: "i-1",
    instrument_name: "高低温试验箱",
    instrument_name_en: "Temperature chamber",
    user_id: "u-1",
    start_at: start.toISOString(),
    end_at: new Date(start.getTime() + 3_600_000).toISOString(),
    status: "confirmed",
    mode: "staff_operated",
    sample_count: 1,
    quoted_amount: "155.00",
    actual_start_at: null,
    actual_end_at: null,
    actual_minutes: null,
    overrun_minutes: 0,
    flag: null,
    flag_detail: null,
  };
}

function server(hoursFromNow: number) {
  return new FakeServer()
    .on(
      "GET /api/v1/auth/me",
      json({
        id: "u-1",
        email: "b@x",
        full_name: "买家",
        role: "enterprise_member",
        organisation: { id: "o-2", kind: "enterprise", name: "精测", name_en: null },
      }),
    )
    .on("GET /api/v1/bookings", json([booking(hoursFromNow)]))
    .on("GET /api/v1/calendar/links", json({ user_feed: "/f.ics", instrument_feed_template: "" }))
    .on(
      "GET /api/v1/instruments/i-1/booking-policy",
      json({ timezone: "Asia/Shanghai", cancellation_window_hours: 24, late_cancellation_share: "0.5" }),
    )
    .on("POST /api/v1/bookings/b-1/cancel", json({ ...booking(hoursFromNow), status: "cancelled" }));
}

describe("cancelling a booking", () => {
  it("computes the late-cancellation charge only inside the window", () => {
    const policy = { cancellation_window_hours: 24, late_cancellation_share: "0.5" };
    const now = Date.parse("2030-06-01T00:00:00Z");
    expect(
      cancellationCharge({ start_at: "2030-06-01T10:00:00Z", quoted_amount: "155.01" }, policy, now),
    ).toEqual({
      late: true,
      amount: "77.51",
    });
    expect(
      cancellationCharge({ start_at: "2030-06-03T10:00:00Z", quoted_amount: "155" }, policy, now).late,
    ).toBe(false);
  });

  it("asks for confirmation stating the late charge, and cancels only when confirmed", async () => {
    const fake = server(3);
    const user = userEvent.setup();
    renderWithApp(
      <MemoryRouter>
        <MyBookings />
      </MemoryRouter>,
      { server: fake, token: "t" },
    );
    const table = await screen.findByTestId("my-bookings");
    // Enum values are words: the mode and status in Chinese.
    expect(table).toHaveTextContent("委托测试");
    expect(table).toHaveTextContent("已确认");
    expect(table).not.toHaveTextContent("staff_operated");
    await user.click(within(table).getByRole("button", { name: "取消" }));
    expect(
      await screen.findByText("距开始已不足 24 小时，取消将收取预约费用的 50%，约 ¥77.50。"),
    ).toBeInTheDocument();
    expect(fake.requestsTo("/api/v1/bookings/b-1/cancel")).toHaveLength(0);
    await user.click(screen.getByRole("button", { name: "确认取消" }));
    await waitFor(() => expect(fake.requestsTo("/api/v1/bookings/b-1/cancel")).toHaveLength(1));
  });

  it("says cancelling is free well before the start", async () => {
    const user = userEvent.setup();
    renderWithApp(
      <MemoryRouter>
        <MyBookings />
      </MemoryRouter>,
      { server: server(72), token: "t" },
    );
    await user.click(within(await screen.findByTestId("my-bookings")).getByRole("button", { name: "取消" }));
    expect(await screen.findByText("距开始超过 24 小时，取消不收费。")).toBeInTheDocument();
  });
});

describe("the bookings list", () => {
  it("names each instrument, newest first, and gives last year's bookings their year", async () => {
    const old = {
      ...booking(-400 * 24),
      id: "b-0",
      instrument_id: "i-9",
      instrument_name: "冷热冲击试验箱",
      instrument_name_en: "Thermal shock chamber",
      status: "completed",
    };
    const fake = server(3).on("GET /api/v1/bookings", json([old, booking(3)]));
    renderWithApp(
      <MemoryRouter>
        <MyBookings />
      </MemoryRouter>,
      { server: fake, token: "t" },
    );
    const table = await screen.findByTestId("my-bookings");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => row.textContent?.slice(0, 6))).toEqual(["高低温试验箱", "冷热冲击试验"]);
    const lastYear = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" }).format(
      new Date(Date.parse(old.start_at)),
    );
    expect(rows[1]).toHaveTextContent(new RegExp(`${lastYear}-\\d{2}-\\d{2}`));
    expect(rows[0]?.textContent).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(table).not.toHaveTextContent("i-9");
  });
});
