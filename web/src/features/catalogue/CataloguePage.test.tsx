import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import type { CurrentUser, FetchFn } from "../../api";
import { FakeServer, json } from "../../test/fakeServer";
import { manager } from "../../test/fixtures";
import { chooseOption } from "../../test/antd";
import { renderWithApp } from "../../test/render";
import { CataloguePage } from "./CataloguePage";

const item = {
  id: "b3c1",
  name: "气相色谱仪",
  name_en: "Gas chromatograph",
  model: "GC-2030",
  manufacturer: "Shimadzu",
  category: "色谱质谱仪器",
  original_value: "450000.00",
  currency: "CNY",
  service_modes: ["staff_operated"],
  institution_name: "温州市质量技术检测科学研究院",
  institution_name_en: "Wenzhou Quality Testing Institute",
  city: "温州",
  lab_name: "食品实验室",
  calibration_state: "expired",
  calibration_valid_to: null,
  live_state: null,
};

/** The fake server records paths only; the catalogue's state travels in the query string. */
function recordingUrls(server: FakeServer): string[] {
  const urls: string[] = [];
  const original: FetchFn = server.fetch;
  Object.defineProperty(server, "fetch", {
    value: (input: string, init?: RequestInit) => {
      urls.push(input);
      return original(input, init);
    },
  });
  return urls;
}

describe("CataloguePage", () => {
  it("asks the server with the chosen filters and shows each hit's status label", async () => {
    const server = new FakeServer()
      .on("GET /api/v1/catalogue/instruments", () =>
        json({ total: 1, page: 1, page_size: 20, items: [item] }),
      )
      // The city and category selects offer what the catalogue holds, not free text.
      .on("GET /api/v1/catalogue/facets", () => json({ categories: ["色谱仪器"], cities: ["杭州", "温州"] }));
    const urls = recordingUrls(server);
    renderWithApp(
      <MemoryRouter>
        <CataloguePage />
      </MemoryRouter>,
      { server, locale: "zh-CN", token: "t" },
    );
    expect(await screen.findByText("气相色谱仪")).toBeInTheDocument();
    expect(screen.getByTestId("calibration-status")).toHaveTextContent("校准过期");
    expect(screen.getByTestId("catalogue-total")).toHaveTextContent("共 1 台仪器");

    const user = userEvent.setup();
    await chooseOption(user, "校准状态", "校准有效");
    await chooseOption(user, "城市", "温州");
    await waitFor(() => {
      const last = new URL(urls.at(-1) ?? "", "http://labshare.test");
      expect(last.searchParams.get("calibration")).toBe("valid");
      expect(last.searchParams.get("city")).toBe("温州");
    });
  });
});

describe("catalogue live state", () => {
  it("names the instrument's live state in the reader's language", async () => {
    const server = new FakeServer().on("GET /api/v1/catalogue/instruments", () =>
      json({ total: 1, page: 1, page_size: 20, items: [{ ...item, live_state: "running" }] }),
    );
    renderWithApp(
      <MemoryRouter>
        <CataloguePage />
      </MemoryRouter>,
      { server, locale: "zh-CN", token: "t" },
    );
    const hit = await screen.findByTestId("catalogue-item");
    expect(hit).toHaveTextContent("实时状态：运行中");
    expect(hit.textContent).not.toContain("running");
  });
});

describe("where an instrument's name leads", () => {
  /** The catalogue as this user sees it; the name link once the user's role is known. */
  async function nameLink(role: CurrentUser["role"]): Promise<HTMLElement> {
    const server = new FakeServer()
      .on("GET /api/v1/catalogue/instruments", () =>
        json({ total: 1, page: 1, page_size: 20, items: [item] }),
      )
      .on("GET /api/v1/auth/me", () => json({ ...manager, role }));
    renderWithApp(
      <MemoryRouter>
        <CataloguePage />
      </MemoryRouter>,
      { server, locale: "zh-CN", token: "t" },
    );
    const link = await screen.findByRole("link", { name: "气相色谱仪" });
    await waitFor(() => expect(server.requests.some((r) => r.path === "/api/v1/auth/me")).toBe(true));
    return link;
  }

  it("takes an enterprise user to the page with the fee, free slots and the Book button", async () => {
    const link = await nameLink("enterprise_member");
    await waitFor(() => expect(link).toHaveAttribute("href", "/catalogue/instruments/b3c1"));
  });

  it("takes lab staff to the instrument page with its live values", async () => {
    const link = await nameLink("lab_manager");
    await waitFor(() => expect(link).toHaveAttribute("href", "/instruments/b3c1"));
  });
});
