import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { pick } from "../../test/antd";
import { FakeServer, json } from "../../test/fakeServer";
import { CHAMBER_ID } from "../../test/fixtures";
import { renderWithApp } from "../../test/render";
import { ManageInstrumentPage } from "./ManageInstrumentPage";

const overview = {
  status: {
    instrument_id: CHAMBER_ID,
    state: "valid",
    certificate_number: "ZJIM-1",
    valid_to: "2027-10-05T01:00:00Z",
    next_due_at: null,
  },
  certificates: [],
  checks: [],
  maintenance: [],
  out_of_service: [],
  impact_reports: [],
};

function server() {
  return new FakeServer()
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/calibration`, overview)
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/authorisations`, [])
    .on(`POST /api/v1/instruments/${CHAMBER_ID}/calibration/checks`, json({ id: "c-1" }, 201))
    .on(`POST /api/v1/instruments/${CHAMBER_ID}/calibration/certificates`, json({ id: "k-1" }, 201))
    .on(`POST /api/v1/instruments/${CHAMBER_ID}/maintenance-windows`, json({ id: "m-1" }, 201));
}

function sent(fake: FakeServer, path: string): unknown {
  const posts = fake.requestsTo(path).filter((r) => r.method === "POST");
  expect(posts).toHaveLength(1);
  return JSON.parse(posts[0]!.body ?? "{}");
}

function renderPage(fake: FakeServer, locale?: "zh-CN" | "en") {
  return renderWithApp(
    <MemoryRouter>
      <ManageInstrumentPage instrumentId={CHAMBER_ID} />
    </MemoryRouter>,
    { server: fake, token: "jwt", locale },
  );
}

describe("ManageInstrumentPage", () => {
  it("records an intermediate check picked in Beijing time, says what is missing in Chinese, and clears", async () => {
    const fake = server();
    renderPage(fake);
    const user = userEvent.setup();

    const form = await screen.findByTestId("check-form");
    await user.click(within(form).getByRole("button", { name: "添加" }));
    expect(await within(form).findByText("请选择核查时间")).toBeInTheDocument();
    expect(within(form).getByText("请填写参考值")).toBeInTheDocument();
    expect(fake.requestsTo(`/api/v1/instruments/${CHAMBER_ID}/calibration/checks`)).toHaveLength(0);

    await pick(user, within(form).getByLabelText("核查时间"), "2026-01-05 10:00");
    await user.type(within(form).getByLabelText("参考值"), "50");
    await user.type(within(form).getByLabelText("测得值"), "51.5");
    await user.type(within(form).getByLabelText("允差"), "0.5");
    await user.click(within(form).getByRole("button", { name: "添加" }));

    expect(await screen.findByText("已保存")).toBeInTheDocument();
    expect(sent(fake, `/api/v1/instruments/${CHAMBER_ID}/calibration/checks`)).toEqual({
      performed_at: "2026-01-05T10:00:00+08:00",
      reference_value: 50,
      measured_value: 51.5,
      tolerance: 0.5,
    });
    await waitFor(() => expect(within(form).getByLabelText("核查时间")).toHaveValue(""));
    expect(within(form).getByLabelText("参考值")).toHaveValue("");
  });

  it("adds a certificate: the day it was granted and its validity to the minute", async () => {
    const fake = server();
    renderPage(fake);
    const user = userEvent.setup();

    const form = await screen.findByTestId("certificate-form");
    await user.type(within(form).getByLabelText("证书编号"), " ZJIM-2 ");
    await user.type(within(form).getByLabelText("校准机构"), "浙江省计量科学研究院");
    await pick(user, within(form).getByLabelText("发证日期"), "2026-11-25");
    await pick(user, within(form).getByLabelText("有效期起"), "2026-11-25 09:00");
    await pick(user, within(form).getByLabelText("有效期止"), "2026-11-25 08:00");
    await user.click(within(form).getByRole("button", { name: "添加" }));
    expect(await within(form).findByText("有效期止须晚于有效期起")).toBeInTheDocument();

    await pick(user, within(form).getByLabelText("有效期止"), "2027-11-25 09:00");
    await user.click(within(form).getByRole("button", { name: "添加" }));
    expect(await screen.findByText("已保存")).toBeInTheDocument();
    expect(sent(fake, `/api/v1/instruments/${CHAMBER_ID}/calibration/certificates`)).toEqual({
      number: "ZJIM-2",
      agency: "浙江省计量科学研究院",
      granted_on: "2026-11-25",
      valid_from: "2026-11-25T09:00:00+08:00",
      valid_to: "2027-11-25T09:00:00+08:00",
      result: "pass",
    });
  });

  it("says what is missing in English for an English reader", async () => {
    const fake = server();
    renderPage(fake, "en");
    const user = userEvent.setup();

    const form = await screen.findByTestId("maintenance-form");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    expect(await within(form).findByText("Start is required")).toBeInTheDocument();
    expect(within(form).getByText("Description is required")).toBeInTheDocument();
  });
});
