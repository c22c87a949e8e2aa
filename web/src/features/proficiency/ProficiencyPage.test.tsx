import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "../../api";
import { chooseOption, pick } from "../../test/antd";
import { FakeServer, json, type RecordedRequest } from "../../test/fakeServer";
import { manager } from "../../test/fixtures";
import { renderWithApp } from "../../test/render";
import { ProficiencyPage } from "./ProficiencyPage";

const admin: CurrentUser = {
  id: "4a3c1f52-0000-4000-8000-000000000007",
  email: "admin@platform.demo",
  full_name: "平台管理员",
  role: "platform_admin",
  organisation: { id: "org-p", kind: "platform", name: "平台", name_en: "Platform" },
};

const CONSENSUS = "参加者结果的稳健平均值（算法 A）";

const result = (score: number, judgement: string, kind = "z_prime", item = "A", value = 50.24) => ({
  item,
  organisation: "宁波检验院",
  value,
  standard_u: 0.03,
  publish: true,
  score_kind: kind,
  score,
  judgement,
});

const statsA = {
  x_pt: 50,
  u_x_pt: 0.04,
  sigma_pt: 0.1,
  participants: 4,
  score: "z_prime",
  score_reason: "z′",
};
const itemA = {
  key: "A",
  name: "铂电阻温度计 PT-A",
  reference_value: 50,
  reference_u: 0.04,
  sigma_fixed: 0.1,
  statistics: statsA,
  results: [result(2.23, "questionable")],
  own_result: result(-3.5, "unsatisfactory"),
};

const closedRound = {
  id: "r-1",
  code: "ZJ-PT-2026-01",
  title: "恒温油槽温度测量能力验证",
  measurand: "温度",
  unit: "°C",
  items: "两支封装铂电阻温度计",
  deadline: "2026-11-01T02:00:00Z",
  status: "closed",
  statistics: statsA,
  results: [result(2.23, "questionable")],
  own_result: result(-3.5, "unsatisfactory"),
  own_results: [result(-3.5, "unsatisfactory")],
  test_items: [itemA],
};

const openRound = {
  ...closedRound,
  id: "r-2",
  code: "ZJ-PT-2026-02",
  status: "open",
  statistics: null,
  results: [],
  own_result: null,
  own_results: [],
  test_items: [{ ...itemA, statistics: null, results: [], own_result: null }],
};

/** Two thermometers: the institution measured A only; B has x_pt = 80 and z scores. */
const twoItems = {
  ...closedRound,
  id: "r-3",
  code: "ZJ-PT-2026-07",
  own_results: [result(-3.5, "unsatisfactory")],
  test_items: [
    itemA,
    {
      key: "B",
      name: "铂电阻温度计 PT-B",
      reference_value: 80,
      reference_u: 0.02,
      sigma_fixed: 0.2,
      statistics: { x_pt: 80, u_x_pt: 0.02, sigma_pt: 0.2, participants: 3, score: "z", score_reason: "z" },
      results: [result(2.5, "questionable", "z", "B", 80.5)],
      own_result: null,
    },
  ],
};

describe("ProficiencyPage", () => {
  // jsdom has no object URLs; the chart is fetched with the token and shown through one.
  beforeAll(() => {
    URL.createObjectURL ??= () => "blob:chart";
    URL.revokeObjectURL ??= () => undefined;
  });

  it("names the score used in words, never by its code", async () => {
    const server = new FakeServer()
      .on("GET /api/v1/auth/me", manager)
      .on("GET /api/v1/pt/rounds", [closedRound])
      .on(
        "GET /api/v1/pt/rounds/r-1/chart.svg",
        () => new Response("<svg/>", { headers: { "Content-Type": "image/svg+xml" } }),
      );
    renderWithApp(<ProficiencyPage />, { server });

    const own = await screen.findByTestId("pt-own");
    expect(own).toHaveTextContent("z′ 比分数 = -3.50");
    expect(own).toHaveTextContent("不满意");
    expect(document.body).not.toHaveTextContent("z_prime");
    expect(screen.getByTestId("pt-reason")).toHaveTextContent(
      "采用 z′ 比分数：u(x_pt) = 0.04000 > 0.3·σ_pt = 0.03000，须计入指定值的不确定度",
    );
    expect(await screen.findByAltText("按评分排序的柱状图，含 ±2 与 ±3 界限")).toBeInTheDocument();
  });

  it("lets the lab manager publish the institution's result of a closed round", async () => {
    const own = { ...closedRound.own_result, publish: false };
    const unpublished = {
      ...closedRound,
      own_results: [own],
      test_items: [{ ...itemA, own_result: own }],
    };
    const server = new FakeServer()
      .on("GET /api/v1/auth/me", manager)
      .on("GET /api/v1/pt/rounds", [unpublished])
      .on("GET /api/v1/pt/rounds/r-1/chart.svg", () => new Response("<svg/>"))
      .on("PUT /api/v1/pt/rounds/r-1/my-result/publish", closedRound);
    renderWithApp(<ProficiencyPage />, { server });
    const user = userEvent.setup();

    expect(await screen.findByTestId("pt-publication")).toHaveTextContent("未公开");
    await user.click(screen.getByRole("button", { name: "公开本机构结果" }));
    await expect.poll(() => server.requestsTo("/api/v1/pt/rounds/r-1/my-result/publish").length).toBe(1);
    const [sent] = server.requestsTo("/api/v1/pt/rounds/r-1/my-result/publish");
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({ publish: true });
  });

  it("lets an institution give U(x) with its k instead of u(x)", async () => {
    const server = new FakeServer()
      .on("GET /api/v1/auth/me", manager)
      .on("GET /api/v1/pt/rounds", [openRound])
      .on("PUT /api/v1/pt/rounds/r-2/my-result", openRound);
    renderWithApp(<ProficiencyPage />, { server });
    const user = userEvent.setup();

    // A result is needed; the reason is given in Chinese.
    await user.click(await screen.findByRole("button", { name: "提交结果" }));
    expect(await screen.findByText("请填写测量结果")).toBeInTheDocument();
    await user.type(screen.getByLabelText(/测量结果/), "50.12");
    await user.type(screen.getByLabelText("扩展不确定度 U(x)"), "0.06");
    await user.type(screen.getByLabelText("包含因子 k"), "2");
    await user.click(screen.getByRole("button", { name: "提交结果" }));

    await expect.poll(() => server.requestsTo("/api/v1/pt/rounds/r-2/my-result").length).toBe(1);
    const [sent] = server.requestsTo("/api/v1/pt/rounds/r-2/my-result");
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({
      item: "A",
      value: 50.12,
      expanded_u: 0.06,
      coverage_k: 2,
      publish: false,
    });
    // Confirmed, and emptied for another entry.
    expect(await screen.findByText("结果已提交")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText(/测量结果/)).toHaveValue(""));
  });

  it("shows each item of a round with its own assigned value, reason and results", async () => {
    const server = new FakeServer()
      .on("GET /api/v1/auth/me", manager)
      .on("GET /api/v1/pt/rounds", [twoItems])
      .on("GET /api/v1/pt/rounds/r-3/chart.svg", () => new Response("<svg/>"));
    renderWithApp(<ProficiencyPage />, { server });

    const a = await screen.findByRole("region", { name: "物品 A：铂电阻温度计 PT-A" });
    const b = screen.getByRole("region", { name: "物品 B：铂电阻温度计 PT-B" });
    expect(screen.getByText(/共 2 个物品/)).toBeInTheDocument();
    expect(a).toHaveTextContent("指定值 x_pt = 50.00");
    expect(within(a).getByTestId("pt-own")).toHaveTextContent("不满意");
    expect(b).toHaveTextContent("指定值 x_pt = 80.00");
    expect(within(b).getByTestId("pt-reason")).toHaveTextContent("采用 z 比分数");
    // The institution measured A only: no own result, no score for B.
    expect(within(b).queryByTestId("pt-own")).toBeNull();
    expect(within(b).getByRole("table")).toHaveTextContent("z 比分数 = 2.50");
    await expect.poll(() => server.requestsTo("/api/v1/pt/rounds/r-3/chart.svg").length).toBe(2);
  });

  it("lets an institution submit a result for each item of an open round", async () => {
    const open = {
      ...twoItems,
      status: "open",
      own_results: [],
      test_items: twoItems.test_items.map((i) => ({ ...i, statistics: null, results: [], own_result: null })),
    };
    const server = new FakeServer()
      .on("GET /api/v1/auth/me", manager)
      .on("GET /api/v1/pt/rounds", [open])
      .on("PUT /api/v1/pt/rounds/r-3/my-result", open);
    renderWithApp(<ProficiencyPage />, { server });
    const user = userEvent.setup();

    const b = await screen.findByRole("region", { name: "物品 B：铂电阻温度计 PT-B" });
    await user.type(within(b).getByLabelText(/测量结果/), "80.1");
    await user.type(within(b).getByLabelText("标准不确定度 u(x)"), "0.03");
    await user.click(within(b).getByRole("button", { name: "提交结果" }));

    await expect.poll(() => server.requestsTo("/api/v1/pt/rounds/r-3/my-result").length).toBe(1);
    const [sent] = server.requestsTo("/api/v1/pt/rounds/r-3/my-result");
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({
      item: "B",
      value: 80.1,
      standard_u: 0.03,
      publish: false,
    });
  });

  it("lets the provider define a round with a reference value, a fixed σ_pt and a Beijing deadline", async () => {
    const server = new FakeServer()
      .on("GET /api/v1/auth/me", admin)
      .on("GET /api/v1/pt/rounds", [])
      .on("POST /api/v1/pt/rounds", (request: RecordedRequest) =>
        json({ ...openRound, ...JSON.parse(request.body ?? "{}") }, 201),
      );
    renderWithApp(<ProficiencyPage />, { server });
    const user = userEvent.setup();

    const form = await screen.findByTestId("pt-new-round");
    await user.click(within(form).getByText("新建能力验证轮次"));
    // Nothing is sent while fields are missing; the reasons are given in Chinese.
    await user.click(within(form).getByRole("button", { name: "创建轮次" }));
    expect(await within(form).findByText("请填写轮次编号")).toBeInTheDocument();
    expect(within(form).getByText("请选择截止时间")).toBeInTheDocument();
    expect(within(form).getByText("请填写参考值 x_pt")).toBeInTheDocument();
    await user.type(within(form).getByLabelText("轮次编号"), "ZJ-PT-2027-01");
    await user.type(within(form).getByLabelText("名称"), "铂电阻温度计校准");
    await user.type(within(form).getByLabelText("被测量"), "温度");
    await user.type(within(form).getByLabelText("单位"), "°C");
    await user.type(within(form).getByLabelText("物品说明"), "两支封装铂电阻温度计");
    await pick(user, within(form).getByLabelText("截止时间"), "2027-01-31 17:00");
    const first = within(form).getByRole("group", { name: "第 1 个物品" });
    expect(within(first).getByLabelText("物品编号")).toHaveValue("A");
    await user.type(within(first).getByLabelText("物品名称"), "温度计 A");
    await user.type(within(first).getByLabelText("参考值 x_pt"), "50");
    await user.type(within(first).getByLabelText("参考值标准不确定度 u(x_pt)"), "0.01");
    await user.type(within(first).getByLabelText("σ_pt 数值"), "0.1");
    await user.click(within(form).getByRole("button", { name: "添加物品" }));
    const second = within(form).getByRole("group", { name: "第 2 个物品" });
    expect(within(second).getByLabelText("物品编号")).toHaveValue("B");
    await user.type(within(second).getByLabelText("物品名称"), "温度计 B");
    await user.type(within(second).getByLabelText("参考值 x_pt"), "80");
    await user.type(within(second).getByLabelText("参考值标准不确定度 u(x_pt)"), "0.02");
    await user.type(within(second).getByLabelText("σ_pt 数值"), "0.2");
    await user.click(within(form).getByRole("button", { name: "创建轮次" }));

    await expect
      .poll(() => server.requestsTo("/api/v1/pt/rounds").filter((r) => r.method === "POST").length)
      .toBe(1);
    const sent = server.requestsTo("/api/v1/pt/rounds").find((r) => r.method === "POST");
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({
      code: "ZJ-PT-2027-01",
      title: "铂电阻温度计校准",
      measurand: "温度",
      unit: "°C",
      items: "两支封装铂电阻温度计",
      assigned_method: "reference",
      sigma_method: "fixed",
      score_policy: "z",
      deadline: "2027-01-31T17:00:00+08:00",
      test_items: [
        { key: "A", name: "温度计 A", reference_value: 50, reference_u: 0.01, sigma_fixed: 0.1 },
        { key: "B", name: "温度计 B", reference_value: 80, reference_u: 0.02, sigma_fixed: 0.2 },
      ],
    });
    // Saved: confirmed, and the form is empty for the next round.
    expect(await screen.findByText("已创建轮次 ZJ-PT-2027-01")).toBeInTheDocument();
    await waitFor(() => expect(within(form).getByLabelText("轮次编号")).toHaveValue(""));
    expect(within(form).getByLabelText("截止时间")).toHaveValue("");
    // Choosing a consensus value hides the reference fields and the ζ / En scores.
    await chooseOption(user, "指定值的确定方式", CONSENSUS);
    await waitFor(() => expect(within(form).queryByLabelText("参考值 x_pt")).toBeNull());
    await user.click(screen.getByRole("combobox", { name: "评分方式" }));
    const dropdowns = document.querySelectorAll<HTMLElement>(
      ".ant-select-dropdown:not(.ant-select-dropdown-hidden)",
    );
    const policies = dropdowns[dropdowns.length - 1]!;
    expect(within(policies).getByTitle("z（u(x_pt) > 0.3σ_pt 时用 z′）")).toBeInTheDocument();
    expect(within(policies).queryByTitle("ζ 比分数")).toBeNull();
  });
});
