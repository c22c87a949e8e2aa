import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { EvaluationPage } from "./EvaluationPage";

const row = (key: string, name: string, effective: number, average: number) => ({
  key,
  name,
  instruments: 3,
  measured_instruments: 3,
  effective_hours: effective,
  declared_hours: 0,
  external_service_hours: effective / 4,
  enterprise_hours: effective / 8,
  other_institution_hours: effective / 8,
  opening_hours: effective * 2,
  sharing_rate: 0.25,
  utilisation: 0.5,
  average_effective_hours: average,
  average_external_hours: average / 4,
  service_records: 12,
  users: 4,
  enterprises: 2,
  samples: 30,
  fees: "3840.00",
  voucher_amount: "0.00",
  ratings: 5,
  average_rating: 4.2,
});

function server() {
  return new FakeServer()
    .on("GET /api/v1/evaluation/metrics", {
      level: "institution",
      date_from: "2026-01-01",
      date_to: "2026-12-31",
      national_reference: { effective_hours: { "2019": 1440, "2025": 1599 } },
      rows: [row("a", "浙江省计量科学研究院", 5400, 1800), row("b", "温州检测中心", 1200, 400)],
    })
    .on(
      "GET /api/v1/evaluation/trend",
      Array.from({ length: 12 }, (_, n) => ({
        month: n + 1,
        effective_hours: 100 * n,
        external_service_hours: 20 * n,
      })),
    )
    .on("GET /api/v1/evaluation/coverage", { listed: 12, with_sensor: 12, share: 1, late: 1, overdue: 0 })
    .on("GET /api/v1/evaluation/reconciliation", {
      by_institution: [],
      checks: [
        {
          booking_id: "b1",
          instrument_id: "i1",
          instrument_name: "气相色谱仪",
          organisation_name: "浙江省计量科学研究院",
          customer: "杭州精测科技",
          window_start: "2026-11-12T01:00:00Z",
          window_end: "2026-11-12T03:00:00Z",
          claimed_minutes: 120,
          measured_minutes: 0,
          flag: "no_use_measured",
          verdict: "flagged",
          evidence: {
            timeline: [{ state: "idle", start_at: "2026-11-12T01:00:00Z", end_at: "2026-11-12T03:00:00Z" }],
            readings: [],
          },
        },
      ],
    });
}

describe("EvaluationPage", () => {
  it("shows institutions against the national line and the flags with their timeline", async () => {
    renderWithApp(<EvaluationPage />, { server: server(), token: "t" });
    const table = await screen.findByTestId("evaluation-metrics");
    expect(within(table).getByText("浙江省计量科学研究院")).toBeInTheDocument();
    const below = within(table).getByText("温州检测中心");
    expect(below.closest("tr")).toHaveAttribute("title", "台均有效机时低于全国参考值 1599 h");
    expect(within(table).getByText("浙江省计量科学研究院").closest("tr")).not.toHaveAttribute("title");
    expect(screen.getByText(/传感器覆盖 100.0%/)).toBeInTheDocument();
    const flags = await screen.findByTestId("evaluation-flags");
    expect(within(flags).getByText("未测得运行")).toBeInTheDocument();
    await userEvent.click(within(flags).getByText("杭州精测科技"));
    expect(within(flags).getByText(/时段内状态/)).toBeInTheDocument();
    // The state strip names the measured state in words, with its Beijing-time span.
    const strip = within(flags).getByTestId("state-strip");
    expect(strip.querySelector("rect title")?.textContent).toMatch(/^待机 .*09:00.*11:00/);
    expect(flags.textContent).not.toMatch(/idle|no_use_measured/);
  });
});
