import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderRoute } from "../../test/render";

const BOOKING = "7f3a09c2-1111-4a5b-9c0d-000000000001";

const session = {
  booking: {
    id: BOOKING,
    instrument_id: "i-1",
    instrument_name: "高低温试验箱",
    instrument_name_en: "Temperature chamber",
    organisation_id: "o-2",
    user_id: "u-2",
    start_at: "2026-11-26T01:00:00Z",
    end_at: "2026-11-26T03:00:00Z",
    status: "completed",
    mode: "staff_operated",
    sample_count: 3,
    test_items: ["高温试验 GB/T 2423.2"],
    purpose: "",
    series_id: null,
    user_category: "enterprise",
    quoted_amount: "545.12",
    checked_in_at: "2026-11-26T01:05:00Z",
    check_in_source: "telemetry",
    actual_start_at: "2026-11-26T01:05:00Z",
    actual_end_at: "2026-11-26T03:10:00Z",
    actual_minutes: 125,
    overrun_minutes: 10,
    flag: null,
    flag_detail: null,
    decision_reason: null,
    created_at: "2026-11-24T01:00:00Z",
  },
  window_start: "2026-11-26T01:05:00Z",
  window_end: "2026-11-26T03:10:00Z",
  history: [
    { kind: "requested", at: "2026-11-24T01:00:00Z", detail: null },
    { kind: "approved", at: "2026-11-24T02:00:00Z", detail: null },
    { kind: "checked_in", at: "2026-11-26T01:05:00Z", detail: "telemetry" },
    { kind: "completed", at: "2026-11-26T03:10:00Z", detail: null },
    { kind: "charged", at: "2026-11-26T03:11:00Z", detail: "567.20" },
  ],
  certificates: [
    {
      number: "JJ2026-0417",
      agency: "浙江省计量科学研究院",
      valid_from: "2026-04-17T00:00:00Z",
      valid_to: "2027-04-16T00:00:00Z",
      result: "pass",
      expanded_uncertainty: 0.3,
      coverage_factor: 2,
      uncertainty_unit: "degC",
      covers_session: true,
    },
  ],
  charge: {
    id: "c-1",
    booking_id: BOOKING,
    kind: "usage",
    category: "enterprise",
    minutes: 125,
    breakdown: {},
    amount: "567.20",
    voucher_amount: "283.60",
    enterprise_amount: "283.60",
    voucher_id: "v-1",
    service_date: "2026-11-26",
  },
  channels: [
    {
      id: 1,
      name: "温度",
      name_en: "Temperature",
      unit: "degC",
      readings: 125,
      min: 23,
      max: 85.3,
      mean: 79.1,
    },
    {
      id: 2,
      name: "湿度",
      name_en: "Humidity",
      unit: "percent",
      readings: 0,
      min: null,
      max: null,
      mean: null,
    },
    {
      id: 3,
      name: "状态",
      name_en: "Status",
      unit: "dimensionless",
      readings: 126,
      min: 1,
      max: 7,
      mean: 1.98,
      states: [
        { value: 2, state: "running", readings: 120 },
        { value: 1, name: "待机", name_en: "Standby", readings: 5 },
        { value: 7, readings: 1 },
      ],
    },
  ],
};

describe("a booking's session page", () => {
  it("tells the history, the certificate, the data and the charge in words", async () => {
    const server = new FakeServer()
      .on(
        "GET /api/v1/auth/me",
        json({
          id: "u-2",
          email: "buyer@jingce.demo",
          full_name: "张伟",
          role: "enterprise_admin",
          organisation: { id: "o-2", kind: "enterprise", name: "杭州精测科技", name_en: null },
        }),
      )
      .on(`GET /api/v1/bookings/${BOOKING}/session`, json(session))
      .on("GET /api/v1/notifications", json([]))
      .on("GET /api/v1/notifications/unread-count", json({ unread: 0 }));
    renderRoute(`/bookings/${BOOKING}`, { server, token: "t" });

    expect(await screen.findByRole("heading", { name: "高低温试验箱" })).toBeInTheDocument();
    expect(screen.getByTestId("session-reference")).toHaveTextContent("7F3A09C2");
    expect(screen.getByTestId("session-status")).toHaveTextContent("已完成");
    const history = screen.getByTestId("booking-history");
    expect(history).toHaveTextContent("提交预约");
    expect(history).toHaveTextContent("实验室已批准");
    expect(history).toHaveTextContent("仪器开机，自动签到");
    expect(history).toHaveTextContent("2026-11-26 09:05");
    expect(history).toHaveTextContent("计费 ¥567.20");
    expect(history).not.toHaveTextContent("telemetry");

    const certificate = screen.getByTestId("session-certificates");
    expect(certificate).toHaveTextContent("JJ2026-0417");
    expect(certificate).toHaveTextContent("覆盖整个使用期间");
    expect(certificate).toHaveTextContent("合格");
    expect(certificate).toHaveTextContent("U = 0.3 °C (k = 2)");

    const data = screen.getByTestId("session-data");
    expect(data).toHaveTextContent("2026-11-26 09:05–11:10");
    const temperature = within(data).getByRole("row", { name: /温度/ });
    expect(temperature).toHaveTextContent("125");
    expect(temperature).toHaveTextContent("85.30 °C");
    expect(within(data).getByRole("row", { name: /湿度/ })).toHaveTextContent("—");
    // The status register in words and counts, not a mean of codes.
    const status = within(data).getByRole("row", { name: /状态/ });
    expect(status).toHaveTextContent("运行中 · 120 次");
    expect(status).toHaveTextContent("待机 · 5 次");
    expect(status).toHaveTextContent("代码 7（未定义） · 1 次");
    expect(status).not.toHaveTextContent("1.98");

    const charge = screen.getByTestId("session-charge");
    expect(charge).toHaveTextContent("机时费");
    expect(charge).toHaveTextContent("¥283.60");
    expect(charge).toHaveTextContent("企业用户");
  });
});
