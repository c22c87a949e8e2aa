import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { manager } from "../../test/fixtures";
import { renderWithApp } from "../../test/render";
import type { GatewayChannel, GatewayHealth } from "./api";
import { GatewayDrawer } from "./GatewayDrawer";

const ORG = manager.organisation!.id;
const GATEWAY = "9b1f0000-0000-4000-8000-000000000001";
const CHAMBER = "9b1f0000-0000-4000-8000-0000000000c1";
const BATH = "9b1f0000-0000-4000-8000-0000000000b1";

const health: GatewayHealth = {
  gateway: {
    id: GATEWAY,
    key: "demo-gw-01",
    name: "热工实验室网关",
    organisation_id: ORG,
    status: "online",
    last_seen_at: "2026-12-03T05:59:50Z",
    config_hash: null,
    last_seq: 10,
    retired_at: null,
  },
  lag_s: 0.4,
  heartbeat: null,
  gaps: [],
  missing_total: 0,
};

const door: GatewayChannel = {
  id: 7,
  device_key: "chamber-1",
  point_key: "door",
  name: "门状态",
  name_en: null,
  canonical_unit: "dimensionless",
  instrument_id: CHAMBER,
  instrument_name: "高低温试验箱",
  instrument_name_en: "Temperature chamber",
};

const instrument = (id: string, name: string, name_en: string) => ({
  id,
  lab_id: "lab-1",
  organisation_id: ORG,
  name,
  name_en,
  model: null,
  manufacturer: null,
  location: null,
  is_open: false,
});

function server() {
  return new FakeServer()
    .on("GET /api/v1/auth/me", manager)
    .on(`GET /api/v1/gateways/${GATEWAY}/channels`, [door])
    .on("GET /api/v1/instruments", [
      instrument(CHAMBER, "高低温试验箱", "Temperature chamber"),
      instrument(BATH, "恒温槽", "Thermostatic bath"),
    ]);
}

async function openChannels() {
  const user = userEvent.setup();
  await user.click(await screen.findByRole("tab", { name: "通道映射" }));
  const table = await screen.findByTestId("gateway-channels");
  await within(table).findByText("门状态");
  return { user, table };
}

function render(fake: FakeServer) {
  renderWithApp(
    <GatewayDrawer health={health} canManage onClose={() => undefined} onIssued={() => undefined} />,
    { server: fake, token: "jwt", locale: "zh-CN" },
  );
}

describe("correcting a gateway's channels", () => {
  it("edits a channel's names and instrument and sends only what changed", async () => {
    const fake = server().on(
      "PATCH /api/v1/channels/7",
      json({ ...door, name: "槽温", name_en: "Bath temperature", instrument_id: BATH, gateway_id: GATEWAY }),
    );
    render(fake);
    const { user, table } = await openChannels();

    await user.click(within(table).getByRole("button", { name: "编辑 chamber-1/door" }));
    const title = await screen.findByText("编辑通道 chamber-1/door");
    const dialog = title.closest<HTMLElement>(".ant-modal")!;
    const name = within(dialog).getByLabelText("指标名称");
    await user.clear(name);
    await user.type(name, "槽温");
    await user.type(within(dialog).getByLabelText("英文名称（可选）"), "Bath temperature");
    await user.click(within(dialog).getByRole("combobox", { name: "仪器" }));
    const dropdowns = document.querySelectorAll<HTMLElement>(
      ".ant-select-dropdown:not(.ant-select-dropdown-hidden)",
    );
    await user.click(within(dropdowns[dropdowns.length - 1]!).getByTitle("恒温槽"));
    await user.click(within(dialog).getByRole("button", { name: "保存" }));

    await waitFor(() => expect(fake.requestsTo("/api/v1/channels/7")).toHaveLength(1));
    const [request] = fake.requestsTo("/api/v1/channels/7");
    expect(request!.method).toBe("PATCH");
    expect(JSON.parse(request!.body!)).toEqual({
      name: "槽温",
      name_en: "Bath temperature",
      instrument_id: BATH,
    });
    expect(await screen.findByText("通道已更新")).toBeInTheDocument();
  });

  it("deletes only after confirmation and says in Chinese why a channel with readings stays", async () => {
    const refusal = new Response(
      JSON.stringify({
        type: "/problems/conflict",
        title: "Conflict",
        status: 409,
        detail: "Channel 7 has stored readings; it is kept so they stay readable",
        instance: "/api/v1/channels/7",
        code: "channel_has_readings",
      }),
      { status: 409, headers: { "Content-Type": "application/problem+json" } },
    );
    const fake = server().on("DELETE /api/v1/channels/7", refusal);
    render(fake);
    const { user, table } = await openChannels();

    await user.click(within(table).getByRole("button", { name: "删除 chamber-1/door" }));
    expect(await screen.findByText(/删除通道 chamber-1\/door？/)).toBeInTheDocument();
    expect(fake.requestsTo("/api/v1/channels/7")).toHaveLength(0);
    await user.click(document.querySelector<HTMLElement>(".ant-popconfirm .ant-btn-primary")!);

    await waitFor(() => expect(fake.requestsTo("/api/v1/channels/7")).toHaveLength(1));
    expect(fake.requestsTo("/api/v1/channels/7")[0]!.method).toBe("DELETE");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("该通道已有数据，不能删除");
    expect(alert).toHaveTextContent("请保留该通道");
    expect(within(table).getByText("门状态")).toBeInTheDocument();
  });
});

describe("configuration tab", () => {
  it("turns to running once the gateway confirms the pushed document, without reopening", async () => {
    let confirmed = false;
    const document = () =>
      json({
        kind: "config",
        content_type: "application/yaml",
        body: "gateway:\n  key: demo-gw-01\n",
        content_hash: "abc",
        pushed_at: "2026-12-03T06:00:00Z",
        updated_at: "2026-12-03T06:00:00Z",
        running: confirmed,
      });
    const fake = server()
      .on(`GET /api/v1/gateways/${GATEWAY}/config`, document)
      .on(`GET /api/v1/gateways/${GATEWAY}/calibration`, () => json({ detail: "none" }, 404));
    render(fake);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("tab", { name: "配置" }));
    expect(await screen.findByText("网关尚未确认运行此配置")).toBeInTheDocument();

    confirmed = true; // the edge agent applied it and said so in its heartbeat
    expect(await screen.findByText("网关正在运行此配置", {}, { timeout: 8_000 })).toBeInTheDocument();
  });
});
