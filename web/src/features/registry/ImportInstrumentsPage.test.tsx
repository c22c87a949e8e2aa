import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json, type RecordedRequest } from "../../test/fakeServer";
import { chamber, manager } from "../../test/fixtures";
import { renderRoute } from "../../test/render";

const LAB = {
  id: chamber.lab_id,
  organisation_id: manager.organisation.id,
  name: "热工实验室",
  name_en: "Thermal lab",
};

const withErrors = {
  dry_run: true,
  committed: false,
  rows: 2,
  created: 0,
  updated: 0,
  unchanged: 0,
  errors: [
    {
      row: 4,
      column: "购置日期",
      column_en: "Purchase date",
      code: "invalid_date",
      message: "'2024/13/01' is not a date; use YYYY-MM-DD",
    },
  ],
  results: [],
};
const clean = {
  ...withErrors,
  errors: [],
  created: 2,
  results: [
    { row: 3, asset_number: "ZJIM-0001", action: "create", instrument_id: null },
    { row: 4, asset_number: "ZJIM-0002", action: "create", instrument_id: null },
  ],
};

function sheet() {
  return new File(["PK"], "仪器信息表.xlsx", {
    type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  });
}

describe("importing instruments from the sharing platform's sheet", () => {
  it("checks first, shows each row's error in Chinese, and imports once the sheet is clean", async () => {
    const user = userEvent.setup();
    let checks = 0;
    const fake = new FakeServer()
      .on("GET /api/v1/auth/me", manager)
      .on("GET /api/v1/labs", [LAB])
      .on("POST /api/v1/instruments/import", (request: RecordedRequest) =>
        request.query.includes("dry_run=false")
          ? json({ ...clean, dry_run: false, committed: true })
          : json(++checks === 1 ? withErrors : clean),
      );
    const { container } = renderRoute("/instruments/import", { server: fake, token: "jwt", locale: "zh-CN" });
    await screen.findByText("批量导入仪器");
    const input = container.querySelector<HTMLInputElement>("input[type=file]")!;
    await user.upload(input, sheet());
    expect(screen.getByTestId("import-run")).toBeDisabled();
    await user.click(screen.getByTestId("import-check"));
    const errors = await screen.findByTestId("import-errors");
    expect(within(errors).getByText("购置日期")).toBeInTheDocument();
    expect(within(errors).getByText("日期格式不正确，请写成 YYYY-MM-DD")).toBeInTheDocument();
    expect(screen.getByText("发现 1 处错误，请修改后重新检查")).toBeInTheDocument();
    expect(screen.getByTestId("import-run")).toBeDisabled();
    // The one lab was chosen for them, and nothing was stored.
    expect(fake.requestsTo("/api/v1/instruments/import")[0]!.query).toContain(`lab_id=${LAB.id}`);
    expect(fake.requestsTo("/api/v1/instruments/import")[0]!.query).toContain("dry_run=true");

    await user.click(screen.getByTestId("import-check"));
    expect(await screen.findByText("检查通过，可以导入")).toBeInTheDocument();
    await user.click(screen.getByTestId("import-run"));
    expect(await screen.findByText("已导入 2 台仪器")).toBeInTheDocument();
    await waitFor(() =>
      expect(
        fake.requestsTo("/api/v1/instruments/import").map((r) => r.query.includes("dry_run=false")),
      ).toEqual([false, false, true]),
    );
  });

  it("gives English readers the server's own sentence", async () => {
    const user = userEvent.setup();
    const fake = new FakeServer()
      .on("GET /api/v1/auth/me", manager)
      .on("GET /api/v1/labs", [LAB])
      .on("POST /api/v1/instruments/import", json(withErrors));
    const { container } = renderRoute("/instruments/import", { server: fake, token: "jwt", locale: "en" });
    await screen.findByText("Import instruments");
    await user.upload(container.querySelector<HTMLInputElement>("input[type=file]")!, sheet());
    await user.click(screen.getByTestId("import-check"));
    const errors = await screen.findByTestId("import-errors");
    expect(within(errors).getByText("Purchase date")).toBeInTheDocument();
    expect(within(errors).getByText("'2024/13/01' is not a date; use YYYY-MM-DD")).toBeInTheDocument();
  });
});
