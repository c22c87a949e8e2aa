import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { BookingForm } from "./BookingForm";

const chamber = {
  id: "i-1",
  lab_id: "l-1",
  organisation_id: "o-1",
  name: "高低温试验箱",
  name_en: "Temperature chamber",
  model: null,
  manufacturer: null,
  location: null,
  is_open: true,
};
const balance = { ...chamber, id: "i-2", name: "电子天平", name_en: "Balance" };

const POLICY = {
  instrument_id: "i-1",
  timezone: "Asia/Shanghai",
  slot_minutes: 30,
  cancellation_window_hours: 24,
  late_cancellation_share: "0.5",
};

const QUOTE = {
  instrument_id: "i-1",
  category: "enterprise",
  factor: "1",
  minutes: 90,
  hourly_fee: "100.00",
  hourly_lines: [{ item: "staff_service", label: "人员服务 Staff service", rate: "100", per_hour: "100.00" }],
  lines: [
    { item: "time", label: "机时 Instrument time", rate: "100.00", quantity: "1.5000", amount: "150.00" },
  ],
  total: "150.00",
  approval_required: true,
  charge_basis: "booked",
  voucher_max_share: "0.5",
  no_show_share: "1",
  late_cancellation_share: "0.5",
  cancellation_window_hours: 24,
  refusals: [],
};

// 2030-06-04 08:30–10:30 Beijing time, a slot the week grid offered.
const DRAFT = { instrumentId: "i-1", start: "2030-06-04T00:30:00Z", end: "2030-06-04T02:30:00Z" };

function server() {
  return new FakeServer()
    .on("GET /api/v1/instruments/i-1/booking-policy", json(POLICY))
    .on("GET /api/v1/instruments/i-2/booking-policy", json({ ...POLICY, instrument_id: "i-2" }))
    .on("POST /api/v1/bookings/quote", () => json(QUOTE));
}

/** Types a whole value into an Ant Design date picker and confirms it, as a paste would. */
async function retype(user: UserEvent, input: HTMLElement, text: string) {
  await user.click(input);
  fireEvent.change(input, { target: { value: text } });
  fireEvent.keyDown(input, { key: "Enter", code: "Enter" });
  await user.click(document.body);
}

const startInput = () => screen.getByLabelText("开始（北京时间）");
const endInput = () => screen.getByLabelText("结束（北京时间）");

describe("booking form", () => {
  it("keeps an edited start inside the picked slot and quotes exactly that time", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber, balance]} draft={DRAFT} />, {
      server: fake,
      token: "t",
    });
    expect(startInput()).toHaveValue("2030-06-04 08:30");
    await retype(user, startInput(), "2030-06-04 09:30");
    await retype(user, endInput(), "2030-06-04 11:00");
    // Nothing snaps back to the picked slot.
    expect(startInput()).toHaveValue("2030-06-04 09:30");
    expect(endInput()).toHaveValue("2030-06-04 11:00");
    await user.click(screen.getByRole("button", { name: "查看费用" }));
    await waitFor(() => expect(fake.requestsTo("/api/v1/bookings/quote")).toHaveLength(1));
    const body = JSON.parse(fake.requestsTo("/api/v1/bookings/quote")[0]!.body!) as Record<string, unknown>;
    expect(body).toMatchObject({
      instrument_id: "i-1",
      start_at: "2030-06-04T01:30:00.000Z",
      end_at: "2030-06-04T03:00:00.000Z",
      mode: "staff_operated",
      sample_count: 1,
    });
    expect(await screen.findByTestId("quote-total")).toHaveTextContent("¥150.00");
    // The user category is a word, not the API's enum value.
    expect(screen.getByTestId("quote")).toHaveTextContent("企业用户");
    expect(screen.getByTestId("quote")).not.toHaveTextContent("enterprise");
    expect(startInput()).toHaveValue("2030-06-04 09:30");
  });

  it("lets the instrument be changed after a pick", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber, balance]} draft={DRAFT} />, {
      server: fake,
      token: "t",
    });
    await user.click(screen.getByRole("combobox", { name: "仪器" }));
    const options = document.querySelectorAll<HTMLElement>(".ant-select-item-option[title='电子天平']");
    await user.click(options[options.length - 1]!);
    await user.click(screen.getByRole("button", { name: "查看费用" }));
    await waitFor(() => expect(fake.requestsTo("/api/v1/bookings/quote")).toHaveLength(1));
    expect(JSON.parse(fake.requestsTo("/api/v1/bookings/quote")[0]!.body!)).toMatchObject({
      instrument_id: "i-2",
    });
  });

  it("refuses an end before the start in Chinese and sends nothing", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber]} draft={DRAFT} />, { server: fake, token: "t" });
    await retype(user, endInput(), "2030-06-04 08:00");
    await user.click(screen.getByRole("button", { name: "查看费用" }));
    expect(await screen.findByText("结束时间必须晚于开始时间")).toBeInTheDocument();
    expect(fake.requestsTo("/api/v1/bookings/quote")).toHaveLength(0);
    expect(fake.requestsTo("/api/v1/bookings")).toHaveLength(0);
  });

  it("says it in English for an English reader", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber]} draft={DRAFT} />, {
      server: fake,
      token: "t",
      locale: "en",
    });
    await retype(user, screen.getByLabelText("End (Beijing time)"), "2030-06-04 08:00");
    await user.click(screen.getByRole("button", { name: "Get the fee quote" }));
    expect(await screen.findByText("The end must be after the start")).toBeInTheDocument();
    expect(fake.requestsTo("/api/v1/bookings/quote")).toHaveLength(0);
  });
});

describe("test items", () => {
  it("offers the instrument's CMA scope as test items and sends the chosen one", async () => {
    const fake = server().on("GET /api/v1/instruments/i-1/record", {
      id: "i-1",
      name: "高低温试验箱",
      name_en: "Temperature chamber",
      service_modes: ["staff_operated"],
      scope: [
        {
          id: "s-1",
          category: "parameter",
          name: "高温试验",
          name_en: "High temperature test",
          standard_name: "高温试验方法",
          standard_number: "GB/T 2423.2-2008",
        },
      ],
    });
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber]} draft={DRAFT} />, { server: fake, token: "t" });
    await user.click(screen.getByRole("combobox", { name: "检测项目（从资质范围中选择或直接输入）" }));
    await user.click(await screen.findByTitle("高温试验 · GB/T 2423.2-2008"));
    await user.click(screen.getByRole("button", { name: "查看费用" }));
    await waitFor(() => expect(fake.requestsTo("/api/v1/bookings/quote")).toHaveLength(1));
    expect(JSON.parse(fake.requestsTo("/api/v1/bookings/quote")[0]!.body!)).toMatchObject({
      test_items: ["高温试验 GB/T 2423.2-2008"],
    });
  });
});

describe("mode", () => {
  it("quotes self-operated time with no samples and no test items", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber]} draft={DRAFT} />, { server: fake, token: "t" });
    await user.click(screen.getByText("自主上机"));
    await user.click(screen.getByRole("button", { name: "查看费用" }));
    await waitFor(() => expect(fake.requestsTo("/api/v1/bookings/quote")).toHaveLength(1));
    expect(JSON.parse(fake.requestsTo("/api/v1/bookings/quote")[0]!.body!)).toMatchObject({
      mode: "self_operated",
      sample_count: 0,
      test_items: [],
    });
    expect(await screen.findByTestId("quote-voucher")).toHaveTextContent(
      "创新券最多可抵扣 ¥75.00（50%），自付至少 ¥75.00",
    );
  });

  it("says why a mode the instrument does not offer cannot be chosen", async () => {
    const fake = new FakeServer().on(
      "GET /api/v1/instruments/i-1/booking-policy",
      json({ ...POLICY, self_operated_allowed: false, staff_operated_allowed: true }),
    );
    renderWithApp(<BookingForm instruments={[chamber]} draft={DRAFT} />, {
      server: fake,
      token: "t",
      locale: "en",
    });
    expect(await screen.findByTestId("mode-note")).toHaveTextContent(
      "This instrument is operated by staff only: book staff-operated testing",
    );
    expect(screen.getByRole("radio", { name: "Self-operated" })).toBeDisabled();
  });
});

describe("refusals in the quote", () => {
  const MESSAGE =
    "self-operated time needs a valid operator authorisation on this instrument; book staff-operated sample testing instead";
  // What the server lists for self-operated time without an operator authorisation: the
  // problem POST /bookings answers with, less its instance.
  const UNAUTHORISED = {
    type: "/problems/validation-failed",
    code: "operator_authorisation_required",
    title: "Validation failed",
    status: 422,
    detail: `mode: ${MESSAGE}`,
    errors: [{ field: "mode", message: MESSAGE }],
  };
  const WARNING = "自主上机需要该仪器的有效上机授权，请改选委托测试";

  it("warns in Chinese before submitting, in the words the refusal is shown after it", async () => {
    const fake = server()
      .on("POST /api/v1/bookings/quote", () => json({ ...QUOTE, refusals: [UNAUTHORISED] }))
      .on("POST /api/v1/bookings", () => json({ ...UNAUTHORISED, instance: "/api/v1/bookings" }, 422));
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber]} draft={DRAFT} />, { server: fake, token: "t" });
    await user.click(screen.getByText("自主上机"));
    await user.click(screen.getByRole("button", { name: "查看费用" }));
    const warning = await screen.findByTestId("quote-refusals");
    expect(warning).toHaveClass("ant-alert-warning");
    expect(warning).toHaveTextContent("按当前情况，提交此预约将被拒绝");
    expect(warning).toHaveTextContent(WARNING);
    expect(warning).not.toHaveTextContent("operator authorisation");
    // The fee is quoted all the same, and the server still decides.
    expect(screen.getByTestId("quote-total")).toHaveTextContent("¥150.00");
    const submit = screen.getByRole("button", { name: "提交预约" });
    expect(submit).toBeEnabled();
    await user.click(submit);
    await waitFor(() => expect(fake.requestsTo("/api/v1/bookings")).toHaveLength(1));
    const refused = await screen.findByRole("alert");
    expect(refused).toHaveTextContent("请检查填写内容");
    expect(refused).toHaveTextContent(WARNING);
  });

  it("warns of nothing when the booking would pass", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(<BookingForm instruments={[chamber]} draft={DRAFT} />, { server: fake, token: "t" });
    await user.click(screen.getByRole("button", { name: "查看费用" }));
    expect(await screen.findByTestId("quote-total")).toHaveTextContent("¥150.00");
    expect(screen.queryByTestId("quote-refusals")).toBeNull();
    expect(screen.queryByText(/提交此预约将被拒绝/)).toBeNull();
    expect(screen.getByRole("button", { name: "提交预约" })).toBeEnabled();
  });
});
