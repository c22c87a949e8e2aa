import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CurrentUser, FetchFn } from "../../api";
import { FakeServer, json } from "../../test/fakeServer";
import { chamber, CHAMBER_ID } from "../../test/fixtures";
import { renderWithApp } from "../../test/render";
import { ComplaintsPage } from "./ComplaintsPage";

const buyer: CurrentUser = {
  id: "4a3c1f52-0000-4000-8000-000000000009",
  email: "buyer@jingce.demo",
  full_name: "李采购",
  role: "enterprise_admin",
  organisation: { id: "org-e", kind: "enterprise", name: "杭州精测科技有限公司", name_en: "Hangzhou Jingce" },
};

const institutions = [
  { id: "org-zju", name: "浙江大学分析测试中心", name_en: null, city: "杭州" },
  { id: chamber.organisation_id, name: "浙江省计量科学研究院", name_en: null, city: "杭州" },
];

const booking = (id: string, organisation_id: string) => ({
  id,
  instrument_id: CHAMBER_ID,
  organisation_id,
  start_at: "2026-11-20T01:00:00Z",
});

/** The Ant Design select list open last. */
function openDropdown(): HTMLElement {
  const open = document.querySelectorAll<HTMLElement>(
    ".ant-select-dropdown:not(.ant-select-dropdown-hidden)",
  );
  const last = open[open.length - 1];
  if (!last) throw new Error("no open select list");
  return last;
}

/** The fake server records bodies as text; the multipart forms are kept as sent. */
function keepForms(fake: FakeServer): FormData[] {
  const forms: FormData[] = [];
  const fetch: FetchFn = async (input, init) => {
    if (init?.body instanceof FormData) forms.push(init.body);
    return await fakeFetch(input, init);
  };
  const fakeFetch = fake.fetch;
  Object.defineProperty(fake, "fetch", { value: fetch });
  return forms;
}

function server(bookings: unknown[]) {
  return new FakeServer()
    .on("GET /api/v1/auth/me", buyer)
    .on("GET /api/v1/complaints/institutions", institutions)
    .on("GET /api/v1/complaints", [])
    .on("GET /api/v1/instruments", [chamber])
    .on("GET /api/v1/bookings", bookings)
    .on("POST /api/v1/complaints", json({ tracking_number: "TS20261203-ABCDEF0123" }, 201));
}

const admin: CurrentUser = {
  id: "4a3c1f52-0000-4000-8000-000000000007",
  email: "admin@platform.demo",
  full_name: "平台管理员",
  role: "platform_admin",
  organisation: { id: "org-p", kind: "platform", name: "平台", name_en: "Platform" },
};

const overdueReportComplaint = {
  id: "c-1",
  organisation_id: "org-zju",
  tracking_number: "TS20261120-0123456789",
  summary: "报告结论与样品不符",
  details: "报告所列样品编号与送检样品不一致。",
  status: "awaiting_response",
  subject_kind: "report",
  report_number: "ZJU-2026-0815",
  booking_id: null,
  response_due: "2026-11-27T10:00:00Z",
  response: null,
  outcome: null,
  decision: null,
  complainant: { name: "赵先生", phone: "13700000000", email: null },
  attachments: [{ id: "a-1", filename: "收费单据.pdf", content_type: "application/pdf", size_bytes: 2048 }],
};

describe("ComplaintsPage", () => {
  beforeAll(() => {
    URL.createObjectURL ??= () => "blob:attachment";
    URL.revokeObjectURL ??= () => undefined;
  });

  it("shows the platform what the complaint is about, that the answer is overdue, and its evidence", async () => {
    const fake = new FakeServer()
      .on("GET /api/v1/auth/me", admin)
      .on("GET /api/v1/complaints/institutions", institutions)
      .on("GET /api/v1/complaints", [overdueReportComplaint])
      .on("GET /api/v1/instruments", [chamber])
      .on("GET /api/v1/bookings", [])
      .on(
        "GET /api/v1/complaints/c-1/attachments/a-1",
        () => new Response("%PDF-1.4", { headers: { "Content-Type": "application/pdf" } }),
      );
    // The file is handed to the browser through a link with its name; record the name.
    const saved: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      saved.push(this.download);
    });
    renderWithApp(<ComplaintsPage />, { server: fake });
    const user = userEvent.setup();

    expect(await screen.findByTestId("complaint-subject")).toHaveTextContent(
      "投诉对象: 检测报告 ZJU-2026-0815",
    );
    expect(screen.getByTestId("complaint-overdue")).toHaveTextContent("机构逾期未答复，平台可直接处理");
    expect(screen.getByTestId("complaint-to-handle")).toHaveTextContent("答复期限: 2026-11-27 18:00");
    await user.click(screen.getByRole("button", { name: "收费单据.pdf (2 KiB)" }));
    await expect.poll(() => saved).toEqual(["收费单据.pdf"]);
    expect(screen.queryByTestId("complaint-outcome")).toBeNull();
    expect(fake.requestsTo("/api/v1/complaints/c-1/attachments/a-1")).toHaveLength(1);
    click.mockRestore();
  });

  it("states the platform's decision with its outcome in words", async () => {
    const decided = {
      ...overdueReportComplaint,
      status: "closed",
      outcome: "partly_upheld",
      decision: "报告编号录入错误属实，结论无误。",
      response: "已重新出具报告。",
    };
    const fake = new FakeServer()
      .on("GET /api/v1/auth/me", admin)
      .on("GET /api/v1/complaints/institutions", institutions)
      .on("GET /api/v1/complaints", [decided])
      .on("GET /api/v1/instruments", [chamber])
      .on("GET /api/v1/bookings", []);
    renderWithApp(<ComplaintsPage />, { server: fake });

    expect(await screen.findByTestId("complaint-outcome")).toHaveTextContent(
      "部分成立：报告编号录入错误属实，结论无误。",
    );
    expect(screen.queryByTestId("complaint-overdue")).toBeNull();
    expect(screen.queryByRole("button", { name: "投诉成立" })).toBeNull();
  });

  it("files a complaint about one of the customer's bookings against the institution that owns the instrument", async () => {
    const fake = server([booking("b-1", "org-e"), booking("b-other", "org-x")]);
    const forms = keepForms(fake);
    renderWithApp(<ComplaintsPage />, { server: fake });
    const user = userEvent.setup();

    await screen.findByLabelText("投诉对象");
    // Nothing is sent without a summary and details; the reasons are given in Chinese.
    await user.click(screen.getByRole("button", { name: "提交" }));
    expect(await screen.findByText("请填写事由")).toBeInTheDocument();
    expect(screen.getByText("请填写详细情况")).toBeInTheDocument();
    expect(screen.getByText("请选择被投诉机构")).toBeInTheDocument();

    await user.click(screen.getByRole("combobox", { name: "投诉对象" }));
    await user.click(await within(openDropdown()).findByTitle("我的一次预约"));
    const choice = await screen.findByRole("combobox", { name: "预约（仪器 · 开始时间）" });
    // Only the customer's own booking, by instrument and Beijing start time.
    expect(choice.closest(".ant-select")).toHaveTextContent("高低温试验箱 · 2026-11-20 09:00");
    await user.click(choice);
    expect(openDropdown().querySelectorAll(".ant-select-item-option")).toHaveLength(1);
    await user.keyboard("{Escape}");
    // The institution follows from the booking: no separate choice.
    expect(screen.queryByLabelText("被投诉机构")).toBeNull();

    await user.type(screen.getByLabelText("事由"), "实际机时少于计费机时");
    await user.type(screen.getByLabelText("详细情况"), "预约 2 小时，仪器实际只运行了 1 小时。");
    await user.type(screen.getByLabelText("电话"), "13700000000");
    await user.click(screen.getByRole("button", { name: "提交" }));

    expect(await screen.findByTestId("complaint-filed")).toHaveTextContent("TS20261203-ABCDEF0123");
    // Confirmed, and the form is emptied for another complaint.
    expect(
      await screen.findByText("已受理，查询编号 TS20261203-ABCDEF0123", { selector: ".ant-message *" }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText("事由")).toHaveValue("");
    expect(forms).toHaveLength(1);
    const sent = Object.fromEntries([...(forms[0]?.entries() ?? [])]);
    expect(sent).toEqual({
      subject_kind: "booking",
      booking_id: "b-1",
      organisation_id: chamber.organisation_id,
      summary: "实际机时少于计费机时",
      details: "预约 2 小时，仪器实际只运行了 1 小时。",
      contact_phone: "13700000000",
      anonymous: "false",
    });
  });

  it("offers no booking subject to someone without bookings of their own", async () => {
    renderWithApp(<ComplaintsPage />, { server: server([booking("b-other", "org-x")]) });
    const user = userEvent.setup();
    await screen.findByLabelText("被投诉机构");
    await user.click(screen.getByRole("combobox", { name: "投诉对象" }));
    expect(within(openDropdown()).getByTitle("检测报告")).toBeInTheDocument();
    expect(within(openDropdown()).queryByTitle("我的一次预约")).toBeNull();
  });
});
