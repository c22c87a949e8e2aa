import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { FetchFn } from "../../api";
import { chooseOption, pick } from "../../test/antd";
import { FakeServer, json, problem, type RecordedRequest } from "../../test/fakeServer";
import { chamber, CHAMBER_ID, manager } from "../../test/fixtures";
import { renderRoute } from "../../test/render";

const LAB = {
  id: chamber.lab_id,
  organisation_id: manager.organisation.id,
  name: "热工实验室",
  name_en: "Thermal lab",
};
const NEW_ID = "0b7e8c1e-4f55-4c1f-9d7e-2f6a3c9b1a99";

function record(overrides: Record<string, unknown> = {}) {
  return {
    id: CHAMBER_ID,
    organisation_id: manager.organisation.id,
    name: "高低温试验箱",
    name_en: "Temperature chamber",
    model: "SETH-Z-040L",
    manufacturer: "Sanwood",
    serial_number: "SW-001",
    location: "热工实验室 101",
    is_open: true,
    category: "环境试验设备",
    specification: "40 L",
    original_value: "320000.00",
    currency: "CNY",
    country_of_origin: "中国",
    manufacture_date: "2021-05-01",
    purchase_date: "2021-09-01",
    asset_class_code: "03040899",
    firmware_version: null,
    technical_specifications: "-40 ~ 150 °C",
    main_functions: "高低温试验",
    accessories: null,
    contact_name: "王主管",
    contact_phone: "0571-00000000",
    contact_email: "manager@zjim.demo",
    fee_rule: null,
    opening_hours: { mon: [["08:30", "17:00"]] },
    calibration_interval_days: 365,
    calibration_required: true,
    service_modes: ["self_operated", "staff_operated"],
    scope: [],
    ...overrides,
  };
}

const policy = {
  instrument_id: CHAMBER_ID,
  timezone: "Asia/Shanghai",
  slot_minutes: 30,
  buffer_minutes: 0,
  lead_time_minutes: 60,
  min_duration_minutes: 30,
  max_duration_minutes: 480,
  horizon_days: 90,
  approval_required: false,
  self_operated_allowed: true,
  staff_operated_allowed: true,
  cancellation_window_hours: 24,
  late_cancellation_share: "0.5",
  no_show_share: "1",
  no_show_release_minutes: 30,
  charge_basis: "actual",
  quota_hours_per_week: null,
  quota_hours_per_month: null,
  voucher_max_share: "0.5",
  waitlist_offer_minutes: 120,
  opening_hours: [],
};

function cost(fees: Record<string, Record<string, string>> = {}) {
  return {
    instrument_id: CHAMBER_ID,
    consumables_per_hour: "0",
    staff_service_per_hour: "0",
    annual_depreciation: "0",
    rated_annual_hours: 1600,
    depreciation_per_hour: "0.00",
    other_per_hour: "0",
    per_sample_fee: "0",
    factors: {},
    hourly_fees: fees,
    published_at: "2026-12-01T02:00:00Z",
  };
}

const scopeItem = (id: string, name: string, name_en: string, standard_number: string) => ({
  id,
  certificate_id: "cert-1",
  category: "parameter",
  name,
  name_en,
  standard_name: null,
  standard_number,
});
const coldTest = scopeItem("s-1", "低温试验", "Cold test", "GB/T 2423.1-2008");
const dampHeat = scopeItem("s-2", "恒定湿热试验", "Damp heat test", "GB/T 2423.3-2016");
const certificate = {
  id: "cert-1",
  organisation_id: manager.organisation.id,
  number: "221100000001",
  issuing_authority: null,
  issued_on: "2024-01-01",
  valid_until: "2029-12-31",
  cnas_number: null,
  cnas_valid_until: null,
  status: "valid",
  scope: [coldTest, dampHeat],
};

const BATH_ID = "9b1f0000-0000-4000-8000-0000000000b1";

const HISTORY = [
  {
    id: 15,
    occurred_at: "2026-11-30T09:00:00Z",
    actor_id: manager.id,
    actor_name: "王主管",
    entity: "channel",
    entity_id: "43",
    action: "update",
    before: {
      id: 43,
      instrument_id: CHAMBER_ID,
      name: "循环水温",
      device_key: "chamber-1",
      point_key: "water",
    },
    after: { id: 43, instrument_id: BATH_ID, name: "循环水温", device_key: "chamber-1", point_key: "water" },
  },
  {
    id: 14,
    occurred_at: "2026-11-30T08:00:00Z",
    actor_id: manager.id,
    actor_name: "王主管",
    entity: "channel",
    entity_id: "42",
    action: "create",
    before: null,
    after: { id: 42, instrument_id: CHAMBER_ID, name: "箱门", device_key: "chamber-1", point_key: "door" },
  },
  {
    id: 13,
    occurred_at: "2026-11-30T07:00:00Z",
    actor_id: manager.id,
    actor_name: "王主管",
    entity: "channel",
    entity_id: "41",
    action: "update",
    before: { id: 41, instrument_id: CHAMBER_ID, name: "门状态", canonical_unit: "dimensionless" },
    after: { id: 41, instrument_id: CHAMBER_ID, name: "箱内温度", canonical_unit: "degC" },
  },
  {
    id: 12,
    occurred_at: "2026-11-30T06:05:00Z",
    actor_id: manager.id,
    actor_name: "王主管",
    entity: "cost_model",
    entity_id: CHAMBER_ID,
    action: "update",
    before: { instrument_id: CHAMBER_ID, consumables_per_hour: "12.50", per_sample_fee: "45.00" },
    after: { instrument_id: CHAMBER_ID, consumables_per_hour: "15.00", per_sample_fee: "45.00" },
  },
  {
    id: 11,
    occurred_at: "2026-11-29T01:00:00Z",
    actor_id: null,
    actor_name: null,
    entity: "instrument",
    entity_id: CHAMBER_ID,
    action: "create",
    before: null,
    after: { id: CHAMBER_ID, name: "高低温试验箱", location: "热工实验室 101" },
  },
  {
    id: 10,
    occurred_at: "2026-11-28T01:00:00Z",
    actor_id: manager.id,
    actor_name: "王主管",
    entity: "instrument",
    entity_id: CHAMBER_ID,
    action: "update",
    before: { id: CHAMBER_ID, service_modes: ["staff_operated"] },
    after: { id: CHAMBER_ID, service_modes: ["staff_operated", "self_operated"] },
  },
];

function editServer() {
  return new FakeServer()
    .on("GET /api/v1/auth/me", manager)
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/record`, record())
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/booking-policy`, policy)
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/cost-model`, cost())
    .on("GET /api/v1/cma-certificates", [certificate])
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/attachments`, [
      {
        id: "a-1",
        instrument_id: CHAMBER_ID,
        kind: "photo",
        filename: "正面照.jpg",
        content_type: "image/jpeg",
        size_bytes: 245_760,
        created_at: "2026-11-01T02:00:00Z",
      },
    ])
    .on("GET /api/v1/audit", HISTORY)
    .on("GET /api/v1/instruments", [
      chamber,
      { ...chamber, id: BATH_ID, name: "恒温槽", name_en: "Thermostatic bath" },
    ])
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/blackouts`, [
      {
        id: "b-0",
        instrument_id: CHAMBER_ID,
        start_at: "2026-12-20T00:00:00Z",
        end_at: "2026-12-21T00:00:00Z",
        reason: "年度检修",
      },
    ])
    .on("GET /api/v1/availability", [
      {
        instrument_id: CHAMBER_ID,
        free: [],
        blocked: [],
        unavailable: [
          {
            start: "2026-12-20T00:00:00Z",
            end: "2026-12-21T00:00:00Z",
            reason: "blackout",
            detail: "年度检修",
          },
          { start: "2026-12-21T00:00:00Z", end: "2026-12-21T09:00:00Z", reason: "closed", detail: "" },
        ],
      },
    ]);
}

function body(fake: FakeServer, method: string, path: string): Record<string, unknown> {
  const sent = fake.requests.filter((r) => r.method === method && r.path === path);
  expect(sent).toHaveLength(1);
  return JSON.parse(sent[0]!.body!) as Record<string, unknown>;
}

describe("registering an instrument", () => {
  function newServer() {
    return editServer()
      .on("GET /api/v1/labs", [LAB])
      .on(
        "POST /api/v1/instruments",
        json({ ...chamber, id: NEW_ID, name: "扫描电子显微镜", name_en: null }, 201),
      )
      .on(`PATCH /api/v1/instruments/${NEW_ID}/record`, record({ id: NEW_ID }))
      .on(`GET /api/v1/instruments/${NEW_ID}/record`, record({ id: NEW_ID, name: "扫描电子显微镜" }))
      .on(`GET /api/v1/instruments/${NEW_ID}/booking-policy`, policy)
      .on(`GET /api/v1/instruments/${NEW_ID}/cost-model`, cost());
  }

  it("says in Chinese what is missing and sends nothing", async () => {
    const user = userEvent.setup();
    const fake = newServer();
    renderRoute("/instruments/new", { server: fake, token: "jwt", locale: "zh-CN" });

    await user.click(await screen.findByRole("button", { name: /^登\s?记$/ }));

    expect(await screen.findByText("请填写仪器名称")).toBeInTheDocument();
    expect(fake.requestsTo("/api/v1/instruments")).toHaveLength(0);
  });

  it("says it in English for an English reader", async () => {
    const user = userEvent.setup();
    const fake = newServer();
    renderRoute("/instruments/new", { server: fake, token: "jwt", locale: "en" });

    await user.type(await screen.findByLabelText("E-mail"), "not-an-address");
    await user.click(screen.getByRole("button", { name: "Register" }));

    expect(await screen.findByText("Name is required")).toBeInTheDocument();
    expect(await screen.findByText("Enter a valid e-mail address")).toBeInTheDocument();
    expect(fake.requestsTo("/api/v1/instruments")).toHaveLength(0);
  });

  it("sends the catalogue fields and the record, confirms, and opens the new instrument's editor", async () => {
    const user = userEvent.setup();
    const fake = newServer();
    const { router } = renderRoute("/instruments/new", { server: fake, token: "jwt", locale: "zh-CN" });

    await user.type(await screen.findByLabelText("仪器名称"), "  扫描电子显微镜 ");
    await user.type(screen.getByLabelText("型号"), "SU3500");
    await user.type(screen.getByLabelText("仪器类别"), "电子光学仪器");
    await user.type(screen.getByLabelText("原值（元）"), "1250000");
    await user.type(screen.getByLabelText("产地国别"), "日本");
    await pick(user, screen.getByLabelText("购置日期"), "2024-03-15");
    await user.type(screen.getByLabelText("主要功能"), "形貌观察");
    await user.click(screen.getByLabelText("自主上机"));
    await user.click(screen.getByRole("button", { name: /^登\s?记$/ }));

    await waitFor(() => expect(router.state.location.pathname).toBe(`/instruments/${NEW_ID}/edit`));
    expect(await screen.findByText("仪器已登记，请继续设置开放时间、预约规则和收费")).toBeInTheDocument();
    expect(body(fake, "POST", "/api/v1/instruments")).toEqual({
      lab_id: LAB.id,
      name: "扫描电子显微镜",
      name_en: null,
      model: "SU3500",
      manufacturer: null,
      serial_number: null,
      location: null,
      is_open: true,
    });
    const sent = body(fake, "PATCH", `/api/v1/instruments/${NEW_ID}/record`);
    expect(sent).toMatchObject({
      category: "电子光学仪器",
      original_value: "1250000",
      currency: "CNY",
      country_of_origin: "日本",
      purchase_date: "2024-03-15",
      main_functions: "形貌观察",
      specification: null,
      service_modes: ["staff_operated"],
      calibration_required: true,
      calibration_interval_days: 365,
    });
  });

  it("shows the register button to lab managers on the instrument list", async () => {
    renderRoute("/", {
      server: newServer().on("GET /api/v1/instruments", [chamber]),
      token: "jwt",
      locale: "zh-CN",
    });
    expect(await screen.findByTestId("register-instrument")).toHaveTextContent("登记仪器");
  });
});

describe("editing an instrument", () => {
  it("fills the form from the record, shows the server's refusal, and after saving shows what was kept", async () => {
    const user = userEvent.setup();
    let attempts = 0;
    const fake = editServer()
      .on(`PATCH /api/v1/instruments/${CHAMBER_ID}`, json(chamber))
      .on(`PATCH /api/v1/instruments/${CHAMBER_ID}/record`, () =>
        ++attempts === 1
          ? problem(403, "Forbidden", "Only the lab manager edits the record")
          : json(record({ location: "热工实验室 102", is_open: false, accessories: null })),
      );
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "zh-CN" });

    const form = await screen.findByTestId("record-form");
    expect(within(form).getByLabelText("仪器类别")).toHaveValue("环境试验设备");
    expect(within(form).getByLabelText("资产分类代码")).toHaveValue("03040899");
    const location = within(form).getByLabelText("放置地点");
    await user.clear(location);
    await user.type(location, "热工实验室 102");
    await user.click(within(form).getByRole("switch", { name: "对外开放共享" }));
    await user.click(within(form).getByRole("button", { name: /^保\s?存$/ }));

    expect(await within(form).findByRole("alert")).toBeInTheDocument();
    await user.click(within(form).getByRole("button", { name: /^保\s?存$/ }));
    expect(await screen.findByText("已保存")).toBeInTheDocument();
    const sent = fake.requests.filter(
      (r) => r.method === "PATCH" && r.path === `/api/v1/instruments/${CHAMBER_ID}`,
    );
    expect(JSON.parse(sent[1]!.body!)).toMatchObject({ location: "热工实验室 102", is_open: false });
    expect(within(form).getByLabelText("放置地点")).toHaveValue("热工实验室 102");
    expect(within(form).queryByRole("alert")).not.toBeInTheDocument();
  });

  it("saves the weekly hours in the record's shape, refusing a period that closes before it opens", async () => {
    const user = userEvent.setup();
    const fake = editServer().on(
      `PATCH /api/v1/instruments/${CHAMBER_ID}/record`,
      (request: RecordedRequest) =>
        json(
          record({ opening_hours: (JSON.parse(request.body!) as { opening_hours: unknown }).opening_hours }),
        ),
    );
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "zh-CN" });

    const hours = await screen.findByTestId("hours-editor");
    expect(within(hours).getByLabelText("周一 开始 1")).toHaveValue("08:30");
    await user.click(within(hours).getByRole("button", { name: "周一 添加时段" }));
    const opens = within(hours).getByLabelText("周一 开始 2");
    const closes = within(hours).getByLabelText("周一 结束 2");
    await user.clear(opens);
    await user.type(opens, "18:00");
    await user.type(closes, "17:30");
    await user.click(within(hours).getByRole("button", { name: "保存开放时间" }));
    expect(await within(hours).findByText("周一：结束时间须晚于开始时间")).toBeInTheDocument();
    expect(
      fake.requestsTo(`/api/v1/instruments/${CHAMBER_ID}/record`).filter((r) => r.method === "PATCH"),
    ).toHaveLength(0);

    await user.clear(closes);
    await user.type(closes, "00:00");
    await user.click(within(hours).getByRole("button", { name: "周六 添加时段" }));
    await user.click(within(hours).getByRole("button", { name: "按周一设置工作日" }));
    await user.click(within(hours).getByRole("button", { name: "保存开放时间" }));

    expect(await screen.findByText("已保存")).toBeInTheDocument();
    const monday = [
      ["08:30", "17:00"],
      ["18:00", "24:00"],
    ];
    expect(body(fake, "PATCH", `/api/v1/instruments/${CHAMBER_ID}/record`)).toEqual({
      opening_hours: {
        mon: monday,
        tue: monday,
        wed: monday,
        thu: monday,
        fri: monday,
        sat: [["08:30", "17:00"]],
      },
    });
  });

  it("sends the whole booking policy with shares as fractions", async () => {
    const user = userEvent.setup();
    const fake = editServer().on(`PUT /api/v1/instruments/${CHAMBER_ID}/booking-policy`, {
      ...policy,
      approval_required: true,
      late_cancellation_share: "0.3",
    });
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "en" });

    const form = await screen.findByTestId("policy-form");
    await user.click(within(form).getByRole("switch", { name: "Bookings need approval" }));
    const late = within(form).getByLabelText("Late cancellation charge (%)");
    await user.clear(late);
    await user.type(late, "30");
    await user.click(within(form).getByRole("button", { name: "Save booking rules" }));

    expect(await screen.findByText("Saved")).toBeInTheDocument();
    expect(body(fake, "PUT", `/api/v1/instruments/${CHAMBER_ID}/booking-policy`)).toEqual({
      timezone: "Asia/Shanghai",
      approval_required: true,
      self_operated_allowed: true,
      staff_operated_allowed: true,
      lead_time_minutes: 60,
      slot_minutes: 30,
      buffer_minutes: 0,
      min_duration_minutes: 30,
      max_duration_minutes: 480,
      horizon_days: 90,
      cancellation_window_hours: 24,
      late_cancellation_share: "0.3000",
      no_show_share: "1.0000",
      no_show_release_minutes: 30,
      charge_basis: "actual",
      quota_hours_per_week: null,
      quota_hours_per_month: null,
      voucher_max_share: "0.5000",
      waitlist_offer_minutes: 120,
    });
  });

  it("publishes the cost model and shows the fee per user category the server computed", async () => {
    const user = userEvent.setup();
    const fake = editServer().on(
      `PUT /api/v1/instruments/${CHAMBER_ID}/cost-model`,
      cost({
        internal: { self_operated: "120.00", staff_operated: "150.00" },
        external: { self_operated: "120.00", staff_operated: "150.00" },
        enterprise: { self_operated: "144.00", staff_operated: "180.00" },
      }),
    );
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "zh-CN" });

    const form = await screen.findByTestId("cost-form");
    const consumables = within(form).getByLabelText("耗材（元/小时）");
    await user.clear(consumables);
    await user.type(consumables, "20");
    const depreciation = within(form).getByLabelText("年折旧额（元）");
    await user.clear(depreciation);
    await user.type(depreciation, "160000");
    const enterprise = within(form).getByLabelText("企业用户");
    await user.clear(enterprise);
    await user.type(enterprise, "1.2");
    await user.click(within(form).getByRole("button", { name: "保存并公开收费" }));

    await waitFor(() => expect(screen.getByTestId("fee-enterprise")).toHaveTextContent("144.00 元/小时"));
    expect(screen.getByTestId("fee-enterprise")).toHaveTextContent("企业用户");
    expect(screen.getByTestId("published-fees")).not.toHaveTextContent("enterprise");
    expect(body(fake, "PUT", `/api/v1/instruments/${CHAMBER_ID}/cost-model`)).toEqual({
      consumables_per_hour: "20.00",
      staff_service_per_hour: "0.00",
      annual_depreciation: "160000.00",
      rated_annual_hours: 1600,
      other_per_hour: "0.00",
      per_sample_fee: "0.00",
      factors: { internal: "1.0000", external: "1.0000", enterprise: "1.2000" },
    });
  });

  it("lists the coming blackouts with their reason and adds one in Beijing time", async () => {
    const user = userEvent.setup();
    const fake = editServer().on(
      `POST /api/v1/instruments/${CHAMBER_ID}/blackouts`,
      json({ id: "b-1" }, 201),
    );
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "zh-CN" });

    const panel = await screen.findByTestId("blackouts");
    expect(await within(panel).findByTestId("blackout-list")).toHaveTextContent("年度检修");
    expect(within(panel).getByTestId("blackout-list")).not.toHaveTextContent("closed");
    await pick(user, within(panel).getByLabelText("开始（北京时间）"), "2026-12-24 08:00");
    await pick(user, within(panel).getByLabelText("结束（北京时间）"), "2026-12-24 07:00");
    await user.click(within(panel).getByRole("button", { name: "添加闭馆" }));
    expect(await within(panel).findByText("结束时间须晚于开始时间")).toBeInTheDocument();

    await pick(user, within(panel).getByLabelText("结束（北京时间）"), "2026-12-24 18:00");
    await user.type(within(panel).getByLabelText("原因"), "停电");
    await user.click(within(panel).getByRole("button", { name: "添加闭馆" }));

    expect(await screen.findByText("已保存")).toBeInTheDocument();
    expect(body(fake, "POST", `/api/v1/instruments/${CHAMBER_ID}/blackouts`)).toEqual({
      start_at: "2026-12-24T08:00:00+08:00",
      end_at: "2026-12-24T18:00:00+08:00",
      reason: "停电",
    });
    await waitFor(() => expect(within(panel).getByLabelText("原因")).toHaveValue(""));
    expect(within(panel).getByLabelText("开始（北京时间）")).toHaveValue("");
  });

  it("removes a blackout only after asking", async () => {
    const user = userEvent.setup();
    const fake = editServer().on("DELETE /api/v1/blackouts/b-0", new Response(null, { status: 204 }));
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "zh-CN" });
    const list = await within(await screen.findByTestId("blackouts")).findByTestId("blackout-list");
    await user.click(within(list).getByRole("button", { name: "取消闭馆" }));
    expect(fake.requestsTo("/api/v1/blackouts/b-0")).toHaveLength(0);
    await user.click(await screen.findByText("取消这段闭馆、重新开放预约？"));
    const confirm = document.querySelector<HTMLElement>(".ant-popconfirm .ant-btn-primary")!;
    await user.click(confirm);
    await waitFor(() => expect(fake.requestsTo("/api/v1/blackouts/b-0")).toHaveLength(1));
    expect(fake.requestsTo("/api/v1/blackouts/b-0")[0]!.method).toBe("DELETE");
    expect(await screen.findByText("已取消闭馆")).toBeInTheDocument();
  });

  it("links the instrument to items of the institution's CMA scope, found by standard number", async () => {
    const user = userEvent.setup();
    const fake = editServer()
      .on(`GET /api/v1/instruments/${CHAMBER_ID}/record`, record({ scope: [coldTest] }))
      .on(`PUT /api/v1/instruments/${CHAMBER_ID}/scope-items`, [coldTest, dampHeat]);
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "en" });

    const panel = await screen.findByTestId("scope-links");
    expect(await within(panel).findByText("Cold test · GB/T 2423.1-2008")).toBeInTheDocument();
    const select = within(panel).getByRole("combobox", { name: "Tests / standards" });
    await user.click(select);
    await user.type(select, "2423.3");
    await user.click(await screen.findByTitle("Damp heat test · GB/T 2423.3-2016"));
    await user.click(within(panel).getByRole("button", { name: "Save scope" }));

    expect(await screen.findByText("Saved")).toBeInTheDocument();
    expect(body(fake, "PUT", `/api/v1/instruments/${CHAMBER_ID}/scope-items`)).toEqual({
      scope_item_ids: ["s-1", "s-2"],
    });
    expect(panel).not.toHaveTextContent("parameter");
  });

  it("lists the files by type in words and uploads a manual", async () => {
    const user = userEvent.setup();
    const fake = editServer().on(
      `POST /api/v1/instruments/${CHAMBER_ID}/attachments`,
      json({ id: "a-2", kind: "manual", filename: "manual.pdf" }, 201),
    );
    const forms: FormData[] = [];
    const fakeFetch = fake.fetch;
    const fetch: FetchFn = async (input, init) => {
      if (init?.body instanceof FormData) forms.push(init.body);
      return await fakeFetch(input, init);
    };
    Object.defineProperty(fake, "fetch", { value: fetch });
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "zh-CN" });

    const panel = await screen.findByTestId("attachments");
    const list = await within(panel).findByTestId("attachment-list");
    expect(list).toHaveTextContent("照片");
    expect(list).toHaveTextContent("正面照.jpg");
    expect(list).toHaveTextContent("240 KB");
    expect(list).not.toHaveTextContent("photo");
    expect(within(panel).getByRole("button", { name: /^上\s?传$/ })).toBeDisabled();
    await chooseOption(user, "文件类型", "说明书");
    await user.upload(
      within(panel).getByLabelText("选择文件"),
      new File(["%PDF-1.7"], "manual.pdf", { type: "application/pdf" }),
    );
    await user.click(within(panel).getByRole("button", { name: /^上\s?传$/ }));

    expect(await screen.findByText("已保存")).toBeInTheDocument();
    expect(forms).toHaveLength(1);
    expect(forms[0]!.get("kind")).toBe("manual");
    expect((forms[0]!.get("file") as File).name).toBe("manual.pdf");
  });
});

describe("the change history", () => {
  it("says who changed which field of the fee, from what to what, in Beijing time", async () => {
    const fake = editServer();
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: fake, token: "jwt", locale: "zh-CN" });
    const history = await screen.findByTestId("audit-history");
    await within(history).findByText("耗材（元/小时）", { exact: false });
    const rows = within(history).getAllByRole("row");
    // The header, then newest first; a channel moved away names where it went, not an id.
    await waitFor(() => expect(rows[1]).toHaveTextContent("循环水温（chamber-1/water） 移到 恒温槽"));
    expect(rows[1]).not.toHaveTextContent(BATH_ID);
    expect(rows[2]).toHaveTextContent("数据通道新建箱门（chamber-1/door）");
    expect(rows[3]).toHaveTextContent("数据通道");
    expect(rows[3]).toHaveTextContent("单位: 无量纲 → °C");
    expect(rows[3]).not.toHaveTextContent("canonical_unit");
    expect(rows[4]).toHaveTextContent("王主管");
    expect(rows[4]).toHaveTextContent("收费核算");
    expect(rows[4]).toHaveTextContent("耗材（元/小时）: 12.50 → 15.00");
    expect(rows[4]).not.toHaveTextContent("每样品");
    expect(rows[4]).toHaveTextContent("14:05");
    expect(rows[5]).toHaveTextContent("系统");
    expect(rows[5]).toHaveTextContent("新建，2 项内容");
    // Service modes in words, not as the API's values.
    expect(rows[6]).toHaveTextContent("服务方式: 委托测试 → 委托测试、自主上机");
    expect(history).not.toHaveTextContent("staff_operated");
    expect(fake.requestsTo("/api/v1/audit")[0]?.query).toContain(`instrument_id=${CHAMBER_ID}`);
  });

  it("reads in English with English chosen", async () => {
    renderRoute(`/instruments/${CHAMBER_ID}/edit`, { server: editServer(), token: "jwt", locale: "en" });
    const history = await screen.findByTestId("audit-history");
    expect(await within(history).findByText("Cost model")).toBeInTheDocument();
    expect(history).toHaveTextContent("System");
    expect(history).not.toHaveTextContent("cost_model");
  });
});
