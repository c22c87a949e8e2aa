import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json, problem } from "../test/fakeServer";
import { chamber, CHAMBER_ID, latestRow, manager } from "../test/fixtures";
import { renderRoute } from "../test/render";

const closedBalance = {
  ...chamber,
  id: "0b7e8c1e-4f55-4c1f-9d7e-2f6a3c9b1a02",
  name: "分析天平",
  name_en: "Analytical balance",
  model: "XPR205",
  location: "质量实验室",
  is_open: false,
};

function signedInServer() {
  return new FakeServer()
    .on("GET /api/v1/auth/me", manager)
    .on("GET /api/v1/instruments", [chamber, closedBalance])
    .on(`GET /api/v1/instruments/${CHAMBER_ID}`, chamber)
    .on(`GET /api/v1/instruments/${CHAMBER_ID}/latest`, [
      latestRow({
        channel_id: 1,
        point_key: "temperature",
        name: "温度",
        unit: "degC",
        value: -20.04,
        ts: "2026-11-27T11:48:03Z",
        quality: "ok",
      }),
    ]);
}

describe("routes", () => {
  it("sends a visitor without a token to the login page, remembering where they were going", async () => {
    const { router } = renderRoute(`/instruments/${CHAMBER_ID}`);
    expect(await screen.findByRole("heading", { name: "登录" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(new URLSearchParams(router.state.location.search).get("next")).toBe(`/instruments/${CHAMBER_ID}`);
  });

  it("logs in and lands on the page the user asked for", async () => {
    const user = userEvent.setup();
    const server = signedInServer().on("POST /api/v1/auth/token", () =>
      json({ access_token: "jwt", token_type: "bearer", expires_in: 3600 }),
    );
    const { router } = renderRoute(`/login?next=${encodeURIComponent(`/instruments/${CHAMBER_ID}`)}`, {
      server,
    });
    await user.type(screen.getByLabelText("邮箱"), "manager@zjim.demo");
    await user.type(screen.getByLabelText("密码"), "labshare-demo");
    await user.click(screen.getByRole("button", { name: "登录" }));

    expect(await screen.findByTestId("latest-chamber-1.temperature")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe(`/instruments/${CHAMBER_ID}`);
  });

  it("shows every instrument as a tile with both names, model, location and open state", async () => {
    renderRoute("/", { server: signedInServer(), token: "jwt" });

    const tile = within(await screen.findByTestId(`instrument-${CHAMBER_ID}`));
    expect(tile.getByText("高低温试验箱")).toBeInTheDocument();
    expect(tile.getByText("Temperature chamber")).toBeInTheDocument();
    expect(tile.getByText("SETH-Z-040L")).toBeInTheDocument();
    expect(tile.getByText("热工实验室 101")).toBeInTheDocument();
    expect(tile.getByTestId("open-badge")).toHaveTextContent("开放共享");

    const balance = within(screen.getByTestId(`instrument-${closedBalance.id}`));
    expect(balance.getByTestId("open-badge")).toHaveTextContent("未开放");
    expect(screen.getByText("共 2 台仪器")).toBeInTheDocument();

    // The header names the user and their organisation.
    const header = within(await screen.findByTestId("current-user"));
    expect(header.getByText("王主管")).toBeInTheDocument();
    expect(header.getByText(/浙江省计量科学研究院/)).toHaveTextContent("实验室主管");
  });

  it("opens an instrument from its tile and shows its live values", async () => {
    const user = userEvent.setup();
    const { router } = renderRoute("/", { server: signedInServer(), token: "jwt" });
    await user.click(await screen.findByTestId(`instrument-${CHAMBER_ID}`));

    expect(router.state.location.pathname).toBe(`/instruments/${CHAMBER_ID}`);
    expect(await screen.findByRole("heading", { level: 1, name: "高低温试验箱" })).toBeInTheDocument();
    expect(screen.getByText("Sanwood")).toBeInTheDocument();
    const temperature = within(await screen.findByTestId("latest-chamber-1.temperature"));
    expect(temperature.getByTestId("value")).toHaveTextContent("-20.04°C");
    expect(temperature.getByTestId("ts")).toHaveTextContent("2026-11-27 19:48:03");
  });

  it("returns to the login page when the server rejects the stored token", async () => {
    const server = signedInServer().on(
      "GET /api/v1/instruments",
      problem(401, "Unauthorized", "token expired"),
    );
    const { router, tokens } = renderRoute("/", { server, token: "expired" });
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(router.state.location.search).toBe("");
    expect(tokens.get()).toBeNull();
  });

  it("after a rejected token on an instrument page, logging in again returns there", async () => {
    const server = signedInServer().on(
      `GET /api/v1/instruments/${CHAMBER_ID}/latest`,
      problem(401, "Unauthorized", "token expired"),
    );
    const { router } = renderRoute(`/instruments/${CHAMBER_ID}`, { server, token: "expired" });
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(new URLSearchParams(router.state.location.search).get("next")).toBe(`/instruments/${CHAMBER_ID}`);
  });

  it("logs out from the header", async () => {
    const user = userEvent.setup();
    const { router, tokens } = renderRoute("/", { server: signedInServer(), token: "jwt" });
    await user.click(await screen.findByRole("button", { name: "退出登录" }));
    expect(router.state.location.pathname).toBe("/login");
    expect(tokens.get()).toBeNull();
  });

  it("says so when an instrument is not visible to the user", async () => {
    const server = signedInServer().on(
      "GET /api/v1/instruments/nope",
      problem(404, "Not Found", "no such instrument"),
    );
    renderRoute("/instruments/nope", { server, token: "jwt" });
    expect(await screen.findByText("仪器不存在或无权查看。")).toBeInTheDocument();
  });

  it("offers the demo accounts on the login page of a development server", async () => {
    const server = new FakeServer().on("GET /healthz", json({ status: "ok", environment: "development" }));
    renderRoute("/login", { server });
    expect(await screen.findByRole("button", { name: "manager@zjim.demo" })).toBeInTheDocument();
  });
});
