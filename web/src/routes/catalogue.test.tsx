import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json, problem, type RecordedRequest } from "../test/fakeServer";
import { CHAMBER_ID, manager } from "../test/fixtures";
import { renderRoute } from "../test/render";

const chamberHit = {
  id: CHAMBER_ID,
  name: "高低温试验箱",
  name_en: "Temperature chamber",
  model: "SETH-Z-040L",
  manufacturer: "Sanwood",
  category: "环境试验设备",
  location: "热工实验室 101",
  is_open: true,
  original_value: "380000.00",
  currency: "CNY",
  service_modes: ["staff_operated"],
  organisation_id: manager.organisation.id,
  institution_name: "浙江省计量科学研究院",
  institution_name_en: "Zhejiang Institute of Metrology",
  city: "杭州",
  lab_name: "热工实验室",
  calibration_state: "valid",
  calibration_valid_to: "2027-03-01T00:00:00Z",
  live_state: null,
};

const results = { total: 1, page: 1, page_size: 20, items: [chamberHit] };

/** The real API answers visitors too, but refuses a token it cannot verify. */
function catalogueServer({ acceptToken }: { acceptToken: boolean }) {
  return new FakeServer().on("GET /api/v1/catalogue/instruments", (request: RecordedRequest) =>
    request.headers.has("Authorization") && !acceptToken
      ? problem(401, "Unauthorized", "The access token is invalid or has expired")
      : json(results),
  );
}

describe("public catalogue", () => {
  it("shows a visitor without an account the catalogue, with search, filters and a log-in button", async () => {
    const server = catalogueServer({ acceptToken: true });
    const { router } = renderRoute("/catalogue", { server });

    expect(await screen.findByText("高低温试验箱")).toBeInTheDocument();
    expect(screen.getByTestId("catalogue-total")).toHaveTextContent("共 1 台仪器");
    expect(screen.getByRole("searchbox", { name: "搜索仪器（中文或英文）" })).toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "校准状态" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/catalogue");

    const login = screen.getByRole("link", { name: "登录" });
    expect(login).toHaveAttribute("href", `/login?next=${encodeURIComponent("/catalogue")}`);
    expect(screen.getByRole("button", { name: "Switch to English" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "退出登录" })).not.toBeInTheDocument();
    expect(screen.queryByTestId("current-user")).not.toBeInTheDocument();
    // Nothing that needs an account is asked for on a visitor's behalf.
    expect(server.requestsTo("/api/v1/auth/me")).toHaveLength(0);
    expect(server.requests.every((request) => !request.headers.has("Authorization"))).toBe(true);
  });

  it("opens an instrument's public page for a visitor, with its fee, hours and the way to book", async () => {
    const user = userEvent.setup();
    const publicChamber = {
      id: CHAMBER_ID,
      name: chamberHit.name,
      name_en: chamberHit.name_en,
      institution_name: chamberHit.institution_name,
      institution_name_en: chamberHit.institution_name_en,
      lab_name: chamberHit.lab_name,
      city: chamberHit.city,
      calibration_state: "valid",
      calibration_valid_to: chamberHit.calibration_valid_to,
      live_state: "running",
      timezone: "Asia/Shanghai",
      fees_published_at: "2026-11-30T16:00:00Z",
      hourly_fees: { enterprise: { staff_operated: "152.50" } },
      opening_hours: [{ weekday: 0, opens: "08:30:00", closes: "17:30:00" }],
      free_slots: [{ start: "2026-12-04T00:30:00Z", end: "2026-12-04T04:00:00Z" }],
      scope: [],
      record: {
        id: CHAMBER_ID,
        name: chamberHit.name,
        name_en: chamberHit.name_en,
        organisation_id: chamberHit.organisation_id,
        is_open: true,
        category: chamberHit.category,
        model: chamberHit.model,
        manufacturer: chamberHit.manufacturer,
        specification: null,
        country_of_origin: "中国",
        manufacture_date: null,
        location: chamberHit.location,
        service_modes: ["staff_operated"],
        accessories: null,
        main_functions: null,
        technical_specifications: null,
        calibration_required: true,
        calibration_interval_days: 365,
        fee_rule: null,
        opening_hours: null,
      },
    };
    const server = catalogueServer({ acceptToken: true }).on(
      `GET /api/v1/public/instruments/${CHAMBER_ID}`,
      publicChamber,
    );
    const { router } = renderRoute("/catalogue", { server });

    const hit = within(await screen.findByTestId("catalogue-item"));
    await user.click(hit.getByRole("link", { name: "高低温试验箱" }));
    expect(router.state.location.pathname).toBe(`/catalogue/instruments/${CHAMBER_ID}`);
    expect(await screen.findByRole("heading", { level: 1, name: "高低温试验箱" })).toBeInTheDocument();
    // The published fee, the opening hours in Beijing time, and what to do next, without an account.
    expect(screen.getByTestId("fee-enterprise-staff_operated")).toHaveTextContent("¥152.50/小时");
    expect(within(screen.getByTestId("public-hours")).getByText("08:30–17:30")).toBeInTheDocument();
    expect(screen.getByTestId("public-live")).toHaveAttribute("data-state", "running");
    const book = screen.getByTestId("public-book").closest("a");
    expect(book).toHaveAttribute(
      "href",
      `/login?next=${encodeURIComponent(`/bookings?instrument=${CHAMBER_ID}`)}`,
    );
    expect(screen.getByTestId("public-register").closest("a")).toHaveAttribute(
      "href",
      `/register?next=${encodeURIComponent(`/catalogue/instruments/${CHAMBER_ID}`)}`,
    );
    expect(document.body.textContent).not.toMatch(/staff_operated|enterprise\b/);
    expect(server.requests.every((request) => !request.headers.has("Authorization"))).toBe(true);
  });

  it("returns a visitor to the catalogue after logging in from its header", async () => {
    const user = userEvent.setup();
    const server = catalogueServer({ acceptToken: true })
      .on("POST /api/v1/auth/token", () =>
        json({ access_token: "jwt", token_type: "bearer", expires_in: 3600 }),
      )
      .on("GET /api/v1/auth/me", manager);
    const { router } = renderRoute("/catalogue", { server });

    await user.click(await screen.findByRole("link", { name: "登录" }));
    await user.type(screen.getByLabelText("邮箱"), "manager@zjim.demo");
    await user.type(screen.getByLabelText("密码"), "labshare-demo");
    await user.click(screen.getByRole("button", { name: "登录" }));

    await waitFor(() => expect(router.state.location.pathname).toBe("/catalogue"));
    expect(await within(await screen.findByTestId("current-user")).findByText("王主管")).toBeInTheDocument();
  });

  it("keeps a signed-in user's header, name and direct links to instrument pages", async () => {
    const server = catalogueServer({ acceptToken: true }).on("GET /api/v1/auth/me", manager);
    renderRoute("/catalogue", { server, token: "jwt" });

    const header = within(await screen.findByTestId("current-user"));
    expect(header.getByText("王主管")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "退出登录" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "仪器看板" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "登录" })).not.toBeInTheDocument();

    const hit = within(await screen.findByTestId("catalogue-item"));
    expect(hit.getByRole("link", { name: "高低温试验箱" })).toHaveAttribute(
      "href",
      `/instruments/${CHAMBER_ID}`,
    );
    expect(server.requestsTo("/api/v1/catalogue/instruments")[0]?.headers.get("Authorization")).toBe(
      "Bearer jwt",
    );
  });

  it("carries on as a visitor, not to /login, when the server refuses a stale token", async () => {
    const server = catalogueServer({ acceptToken: false }).on(
      "GET /api/v1/auth/me",
      problem(401, "Unauthorized", "The access token is invalid or has expired"),
    );
    const { router, tokens } = renderRoute("/catalogue", { server, token: "expired" });

    expect(await screen.findByText("高低温试验箱")).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "登录" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/catalogue");
    expect(tokens.get()).toBeNull();
    const catalogueCalls = server.requestsTo("/api/v1/catalogue/instruments");
    expect(catalogueCalls.at(-1)?.headers.has("Authorization")).toBe(false);
  });

  it("labels the header in English short enough to stay on one line", async () => {
    const server = catalogueServer({ acceptToken: true }).on("GET /api/v1/auth/me", manager);
    renderRoute("/catalogue", { server, token: "jwt", locale: "en" });
    expect(await screen.findByRole("link", { name: "Catalogue" })).toHaveClass("active");
    expect(screen.getByRole("button", { name: "Log out" })).toBeInTheDocument();
  });

  it("still sends a visitor to the login page for every other page", async () => {
    const { router } = renderRoute("/bookings", { server: new FakeServer() });
    expect(await screen.findByRole("heading", { name: "登录" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(new URLSearchParams(router.state.location.search).get("next")).toBe("/bookings");
  });

  it("offers the catalogue from the login page to visitors without an account", async () => {
    const user = userEvent.setup();
    const { router } = renderRoute("/login", { server: catalogueServer({ acceptToken: true }) });
    await user.click(screen.getByRole("link", { name: "还没有账号？先浏览仪器目录" }));
    expect(router.state.location.pathname).toBe("/catalogue");
    expect(await screen.findByText("高低温试验箱")).toBeInTheDocument();
  });
});

describe("the header's pages per role", () => {
  const links = async () =>
    within(await screen.findByRole("menu", { name: "主导航" }))
      .getAllByRole("link", { hidden: true })
      .map((item) => item.textContent);

  it("offers a lab manager the lab's work: board, gateways, inspection, evaluation, PT, complaints, credit", async () => {
    const server = catalogueServer({ acceptToken: true }).on("GET /api/v1/auth/me", manager);
    renderRoute("/catalogue", { server, token: "jwt" });
    await screen.findByTestId("current-user");
    const shown = await links();
    for (const name of ["实时看板", "网关", "在线检测", "共享评价", "能力验证", "投诉举报", "诚信档案"]) {
      expect(shown.join(" ")).toContain(name);
    }
  });

  it("offers an enterprise member bookings, statements and complaints, not the lab's pages", async () => {
    const member = {
      ...manager,
      role: "enterprise_member" as const,
      organisation: { ...manager.organisation, kind: "enterprise" as const },
    };
    const server = catalogueServer({ acceptToken: true }).on("GET /api/v1/auth/me", member);
    renderRoute("/catalogue", { server, token: "jwt" });
    await screen.findByTestId("current-user");
    const shown = (await links()).join(" ");
    expect(shown).toContain("投诉举报");
    for (const name of ["实时看板", "网关", "在线检测", "共享评价", "能力验证", "诚信档案"]) {
      expect(shown).not.toContain(name);
    }
  });
});
