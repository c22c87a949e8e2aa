import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { CurrentUser } from "../../api";
import { FakeServer, json } from "../../test/fakeServer";
import { manager } from "../../test/fixtures";
import { renderRoute } from "../../test/render";

const admin: CurrentUser = {
  id: "4a3c1f52-0000-4000-8000-000000000007",
  email: "admin@platform.demo",
  full_name: "平台管理员",
  role: "platform_admin",
  organisation: { id: "org-p", kind: "platform", name: "平台", name_en: "Platform" },
};

const ZJIM = manager.organisation.id;

const record = {
  organisation_id: ZJIM,
  organisation: "浙江省计量科学研究院",
  credit_class: "C",
  rule_version: 0,
  rule_id: "C-performance",
  rule_text: "能力验证不满意、较重问题 / an unsatisfactory PT result, a major finding",
  matched: [{ fact: "findings_major", op: ">=", value: 1, actual: 1 }],
  counts: { cma_valid: 1, findings_major: 1, pt_unsatisfactory: 0 },
  window_from: "2024-11-03",
  facts: [
    {
      on: "2026-11-02",
      kind: "finding:flying_inspection",
      text: "原始记录未能溯源（证据 / evidence: FX-7）",
      counted: "findings_major",
      detail: { severity: "major", description: "原始记录未能溯源", evidence: "FX-7" },
    },
    {
      on: "2024-01-01",
      kind: "cma",
      text: "CMA 231112050001 …",
      counted: null,
      detail: { number: "231112050001", valid_until: "2030-01-01", state: "valid" },
    },
  ],
};

const history = [
  {
    credit_class: "C",
    rule_version: 0,
    rule_id: "C-performance",
    basis: {},
    computed_at: "2026-11-02T02:00:00Z",
  },
  { credit_class: "A", rule_version: 0, rule_id: null, basis: {}, computed_at: "2026-10-01T16:30:00Z" },
];

const finding = {
  id: "f-1",
  found_on: "2026-11-02",
  kind: "flying_inspection",
  severity: "major",
  description: "原始记录未能溯源",
  evidence: "FX-7",
  booking_id: null,
  published: true,
  created_at: "2026-11-02T02:00:00Z",
};

const action = {
  id: "a-1",
  finding_id: "f-1",
  description: "建立原始记录管理程序",
  due_on: "2099-01-01",
  closed_on: null,
  closure_note: null,
  created_at: "2026-11-02T02:00:00Z",
};

const rules = {
  version: 0,
  rules: {
    window_days: 730,
    default: { class: "A", text: "无不良记录 / no adverse facts" },
    rules: [
      {
        id: "D-qualification",
        class: "D",
        text: "无有效CMA资质 / no valid CMA",
        any: [{ fact: "cma_valid", op: "==", value: 0 }],
      },
    ],
  },
};

function server(user: CurrentUser) {
  const base = `/api/v1/credit/institutions/${ZJIM}`;
  return new FakeServer()
    .on("GET /api/v1/auth/me", user)
    .on("GET /api/v1/notifications", [])
    .on("GET /api/v1/credit/institutions", [
      {
        organisation_id: ZJIM,
        name: "浙江省计量科学研究院",
        name_en: "Zhejiang Institute of Metrology",
        city: "杭州",
        credit_class: "C",
      },
      {
        organisation_id: "org-zju",
        name: "浙江大学分析测试中心",
        name_en: null,
        city: "杭州",
        credit_class: "D",
      },
    ])
    .on(`GET ${base}`, record)
    .on(`GET ${base}/history`, history)
    .on(`GET ${base}/findings`, [finding])
    .on(`GET ${base}/corrective-actions`, [action])
    .on("GET /api/v1/credit/rules", rules);
}

describe("CreditPage", () => {
  it("lists the institutions with their class and opens one's record with the rule and facts", async () => {
    const fake = server(admin);
    renderRoute("/credit", { server: fake, token: "jwt" });
    const user = userEvent.setup();

    const list = await screen.findByTestId("credit-institutions");
    expect(
      within(list)
        .getAllByTestId("credit-class")
        .map((t) => t.textContent),
    ).toEqual(["C 级", "D 级"]);
    await user.click(within(list).getByRole("button", { name: "浙江省计量科学研究院" }));

    const basis = await screen.findByTestId("credit-basis");
    expect(basis).toHaveTextContent("C 级");
    expect(basis).toHaveTextContent("规则 C-performance");
    expect(screen.getByTestId("credit-rule-text")).toHaveTextContent(/^能力验证不满意、较重问题$/);
    expect(screen.getByTestId("credit-matched")).toHaveTextContent("较重监督检查问题 ≥ 1（实际 1）");
    const facts = screen.getByTestId("credit-facts");
    expect(facts).toHaveTextContent("监督检查 · 飞行检查");
    expect(facts).toHaveTextContent("较重问题：原始记录未能溯源（证据：FX-7）");
    expect(facts).toHaveTextContent("CMA 231112050001，有效期至 2030-01-01，有效");
    // Assessed 2026-10-01 16:30 UTC: 2 October in Beijing.
    expect(await screen.findByText("2026-10-02 00:30:00")).toBeInTheDocument();
    expect(
      within(await screen.findByTestId("credit-actions")).getByTestId("action-status"),
    ).toHaveTextContent("整改中");
    expect(document.body).not.toHaveTextContent(/flying_inspection|findings_major|C-performance\b.*_/);
  });

  it("records a supervisory finding with its evidence for the institution on screen", async () => {
    const fake = server(admin).on("POST /api/v1/credit/findings", () =>
      json({ id: "f-2", credit_class: "D" }, 201),
    );
    renderRoute(`/credit?institution=${ZJIM}`, { server: fake, token: "jwt" });
    const user = userEvent.setup();

    const form = await screen.findByRole("form", { name: "记录监督检查问题" });
    await user.type(within(form).getByLabelText("问题描述"), "检测人员无上岗证");
    await user.type(within(form).getByLabelText("证据"), "飞行检查记录 FX-9，人员名单");
    await user.click(within(form).getByRole("switch"));
    await user.click(within(form).getByRole("button", { name: "记录问题" }));

    await expect.poll(() => fake.requestsTo("/api/v1/credit/findings").length).toBe(1);
    const sent = JSON.parse(fake.requestsTo("/api/v1/credit/findings")[0]?.body ?? "{}");
    expect(sent).toMatchObject({
      organisation_id: ZJIM,
      kind: "flying_inspection",
      severity: "minor",
      description: "检测人员无上岗证",
      evidence: "飞行检查记录 FX-9，人员名单",
      published: true,
    });
    expect(sent.found_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await screen.findByText("已记录；该机构信用等级为 D 级")).toBeInTheDocument();
  });

  it("shows a lab manager their own record read-only, and lets them close an action", async () => {
    const fake = server(manager).on("POST /api/v1/credit/corrective-actions/a-1/close", () =>
      json({ id: "a-1", credit_class: "C" }),
    );
    renderRoute("/credit", { server: fake, token: "jwt" });
    const user = userEvent.setup();

    expect(await screen.findByTestId("credit-basis")).toHaveTextContent("C 级");
    expect(screen.queryByTestId("credit-institutions")).toBeNull();
    expect(screen.queryByRole("form", { name: "记录监督检查问题" })).toBeNull();
    expect(screen.queryByRole("form", { name: "提出整改要求" })).toBeNull();

    await user.click(await screen.findByTestId("action-close"));
    await user.type(await screen.findByLabelText("整改情况"), "程序已发布并培训");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "关闭整改" }));
    await expect.poll(() => fake.requestsTo("/api/v1/credit/corrective-actions/a-1/close").length).toBe(1);
    const sent = JSON.parse(fake.requestsTo("/api/v1/credit/corrective-actions/a-1/close")[0]?.body ?? "{}");
    expect(sent.closure_note).toBe("程序已发布并培训");
    expect(sent.closed_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("saves the rules and shows the server's validation errors where they lie", async () => {
    const fake = server(admin).on("PUT /api/v1/credit/rules", () =>
      json(
        {
          type: "https://labshare.example/problems/validation",
          title: "Validation failed",
          status: 422,
          errors: [
            { field: "window_days", message: "Input should be greater than or equal to 30" },
            { field: "rules.0.any.0.value", message: "Input should be a valid number" },
          ],
        },
        422,
      ),
    );
    renderRoute("/credit?tab=rules", { server: fake, token: "jwt" });
    const user = userEvent.setup();

    const window = await screen.findByLabelText("评定窗口（天）");
    expect(screen.getByTestId("rules-version")).toHaveTextContent("内置规则");
    await user.clear(window);
    await user.type(window, "7");
    await user.click(screen.getByTestId("rules-save"));

    const puts = () => fake.requestsTo("/api/v1/credit/rules").filter((r) => r.method === "PUT");
    await expect.poll(() => puts().length).toBe(1);
    const sent = JSON.parse(puts()[0]?.body ?? "{}");
    expect(sent.window_days).toBe(7);
    expect(sent.rules[0]).toEqual(rules.rules.rules[0]);
    const problem = await screen.findByTestId("rules-problem");
    expect(problem).toHaveTextContent("请检查填写内容");
    expect(problem).toHaveTextContent("评定窗口：超出允许范围");
    expect(problem).toHaveTextContent("规则 1 · 条件 1 · 数值：取值不正确");
    expect(problem).not.toHaveTextContent("window_days");
  });

  it("shows institution staff the rules without letting them change them", async () => {
    renderRoute("/credit?tab=rules", { server: server({ ...manager, role: "lab_staff" }), token: "jwt" });
    expect(await screen.findByText("仅平台管理员可修改评定规则")).toBeInTheDocument();
    expect(screen.queryByTestId("rules-save")).toBeNull();
  });
});
