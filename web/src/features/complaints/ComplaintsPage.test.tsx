import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
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

describe("ComplaintsPage", () => {
  it("files a complaint about one of the customer's bookings against the institution that owns the instrument", async () => {
    const fake = server([booking("b-1", "org-e"), booking("b-other", "org-x")]);
    const forms = keepForms(fake);
    renderWithApp(<ComplaintsPage />, { server: fake });
    const user = userEvent.setup();

    const subject = await screen.findByLabelText("投诉对象");
    await screen.findByRole("option", { name: "我的一次预约" });
    await user.selectOptions(subject, "booking");
    const choice = screen.getByLabelText("预约（仪器 · 开始时间）");
    // Only the customer's own booking, by instrument and Beijing start time.
    expect(choice).toHaveTextContent("高低温试验箱 · 2026-11-20 09:00");
    expect(screen.getAllByRole("option").map((o) => o.getAttribute("value"))).not.toContain("b-other");
    // The institution follows from the booking: no separate choice.
    expect(screen.queryByLabelText("被投诉机构")).toBeNull();

    await user.type(screen.getByLabelText("事由"), "实际机时少于计费机时");
    await user.type(screen.getByLabelText("详细情况"), "预约 2 小时，仪器实际只运行了 1 小时。");
    await user.type(screen.getByLabelText("电话"), "13700000000");
    await user.click(screen.getByRole("button", { name: "提交" }));

    expect(await screen.findByTestId("complaint-filed")).toHaveTextContent("TS20261203-ABCDEF0123");
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
    await screen.findByLabelText("投诉对象");
    await screen.findByLabelText("被投诉机构");
    expect(screen.queryByRole("option", { name: "我的一次预约" })).toBeNull();
  });
});
