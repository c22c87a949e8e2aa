import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { LatestValue } from "../../api";
import { FakeServer, problem } from "../../test/fakeServer";
import { CHAMBER_ID, latestRow } from "../../test/fixtures";
import { renderWithApp } from "../../test/render";
import { LatestValuesPanel } from "./LatestValuesPanel";
import { SessionHistory } from "./sessionHistory";

const LATEST = `/api/v1/instruments/${CHAMBER_ID}/latest`;

const chamberRows: LatestValue[] = [
  latestRow({
    channel_id: 1,
    point_key: "temperature",
    name: "温度",
    name_en: "Temperature",
    unit: "degC",
    value: 23.456789,
    ts: "2026-11-27T11:48:03.120Z",
    quality: "ok",
  }),
  latestRow({
    channel_id: 3,
    point_key: "humidity",
    name: "湿度",
    name_en: "Humidity",
    unit: "percent",
    value: 55.1,
    ts: "2026-11-27T11:47:00Z",
    quality: "stale",
  }),
  latestRow({
    channel_id: 4,
    point_key: "power",
    name: "功率",
    name_en: "Power",
    unit: "W",
    value: 850,
    ts: "2026-11-27T11:48:03Z",
    quality: 2, // the stored smallint code for comm_fail
  }),
  latestRow({ channel_id: 5, point_key: "status", name: "状态", name_en: "Status" }),
];

function row(pointKey: string) {
  return within(screen.getByTestId(`latest-chamber-1.${pointKey}`));
}

describe("LatestValuesPanel", () => {
  it("renders one row per point with value, unit, Beijing time and quality", async () => {
    const server = new FakeServer().on(`GET ${LATEST}`, chamberRows);
    renderWithApp(<LatestValuesPanel instrumentId={CHAMBER_ID} history={new SessionHistory()} />, {
      server,
      token: "t0ken",
    });

    await screen.findByTestId("latest-chamber-1.temperature");
    expect(row("temperature").getByTestId("value")).toHaveTextContent("23.46°C");
    expect(row("temperature").getByTestId("ts")).toHaveTextContent("2026-11-27 19:48:03");
    expect(row("temperature").getByTestId("quality")).toHaveTextContent("正常");
    expect(row("temperature").getByText("温度")).toBeInTheDocument();

    expect(row("humidity").getByTestId("value")).toHaveTextContent("55.10%");
    expect(row("humidity").getByTestId("quality")).toHaveTextContent("数据过期");

    expect(row("power").getByTestId("value")).toHaveTextContent("850.0W");
    expect(row("power").getByTestId("quality")).toHaveTextContent("通信故障");

    // A point that never reported says so instead of showing zero.
    expect(row("status").getByTestId("value")).toHaveTextContent("—");
    expect(row("status").getByTestId("ts")).toHaveTextContent("—");
    expect(row("status").getByTestId("quality")).toHaveTextContent("无数据");

    expect(server.requestsTo(LATEST)[0]?.headers.get("Authorization")).toBe("Bearer t0ken");
  });

  it("shows English names and labels when English is chosen", async () => {
    const server = new FakeServer().on(`GET ${LATEST}`, chamberRows);
    renderWithApp(<LatestValuesPanel instrumentId={CHAMBER_ID} history={new SessionHistory()} />, {
      server,
      token: "t",
      locale: "en",
    });
    await screen.findByTestId("latest-chamber-1.temperature");
    expect(row("temperature").getByText("Temperature")).toBeInTheDocument();
    expect(row("temperature").getByTestId("quality")).toHaveTextContent("OK");
  });

  it("names a broken 4-20 mA loop in words, with no value", async () => {
    const rows = [
      latestRow({
        channel_id: 1,
        point_key: "temperature",
        name: "温度",
        name_en: "Temperature",
        unit: "degC",
        value: null,
        ts: "2026-11-27T11:48:03Z",
        quality: "loop_low_fault",
      }),
    ];
    const server = new FakeServer().on(`GET ${LATEST}`, rows);
    renderWithApp(<LatestValuesPanel instrumentId={CHAMBER_ID} history={new SessionHistory()} />, {
      server,
      token: "t",
      locale: "en",
    });
    await screen.findByTestId("latest-chamber-1.temperature");
    const badge = row("temperature").getByTestId("quality");
    expect(badge).toHaveTextContent("Loop fault (low current)");
    expect(badge).toHaveAttribute("data-quality", "loop_low_fault");
  });

  it("polls and shows the newest reading, drawing a trend from what it saw", async () => {
    let temperature = 20;
    let second = 0;
    const server = new FakeServer().on(`GET ${LATEST}`, () => {
      temperature += 1.5;
      second += 1;
      return new Response(
        JSON.stringify([
          latestRow({
            channel_id: 1,
            point_key: "temperature",
            unit: "degC",
            value: temperature,
            ts: `2026-11-27T11:48:0${second}Z`,
            quality: "ok",
          }),
        ]),
        { headers: { "Content-Type": "application/json" } },
      );
    });
    renderWithApp(
      <LatestValuesPanel instrumentId={CHAMBER_ID} refreshMs={20} history={new SessionHistory()} />,
      {
        server,
        token: "t",
      },
    );

    await waitFor(() => expect(row("temperature").getByTestId("value")).toHaveTextContent("24.50°C"));
    expect(row("temperature").getByTestId("ts")).toHaveTextContent("2026-11-27 19:48:03");
    expect(row("temperature").getByTestId("sparkline")).toBeInTheDocument();
    expect(server.requestsTo(LATEST).length).toBeGreaterThanOrEqual(3);
  });

  it("explains in Chinese why live values are unavailable", async () => {
    const server = new FakeServer().on(`GET ${LATEST}`, problem(404, "Not Found", "instrument not found"));
    renderWithApp(<LatestValuesPanel instrumentId={CHAMBER_ID} history={new SessionHistory()} />, {
      server,
      token: "t",
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("未找到");
    expect(screen.getByText("无法获取实时数据")).toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });
});
