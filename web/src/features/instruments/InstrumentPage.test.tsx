import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { CurrentUser } from "../../api";
import { FakeServer, problem } from "../../test/fakeServer";
import { chamber, CHAMBER_ID, latestRow, manager } from "../../test/fixtures";
import { renderRoute } from "../../test/render";

const buyer: CurrentUser = {
  id: "4a3c1f52-0000-4000-8000-000000000009",
  email: "buyer@jingce.demo",
  full_name: "李采购",
  role: "enterprise_admin",
  organisation: {
    id: "org-e",
    kind: "enterprise",
    name: "杭州精测科技有限公司",
    name_en: "Hangzhou Jingce Technology",
  },
};

function server(me: CurrentUser) {
  return new FakeServer()
    .on("GET /api/v1/auth/me", me)
    .on(`GET /api/v1/instruments/${CHAMBER_ID}`, chamber)
    .on(
      `GET /api/v1/instruments/${CHAMBER_ID}/latest`,
      me.role === "enterprise_admin"
        ? problem(404, "Not found", `Instrument ${CHAMBER_ID} not found`)
        : [
            latestRow({
              point_key: "temperature",
              unit: "degC",
              value: 21,
              ts: "2026-11-27T11:48:03Z",
              quality: "ok",
            }),
          ],
    );
}

describe("instrument page by role", () => {
  it("tells an enterprise user where their data is instead of showing a not-found error", async () => {
    const fake = server(buyer);
    renderRoute(`/instruments/${CHAMBER_ID}`, { server: fake, token: "jwt", locale: "zh-CN" });

    const note = await screen.findByTestId("enterprise-data-note");
    expect(note).toHaveTextContent("我的预约");
    expect(screen.queryByText(/not found/i)).not.toBeInTheDocument();
    expect(screen.queryByText("实时数据")).not.toBeInTheDocument();
    expect(fake.requestsTo(`/api/v1/instruments/${CHAMBER_ID}/latest`)).toHaveLength(0);
  });

  it("shows lab staff the live values and no note", async () => {
    renderRoute(`/instruments/${CHAMBER_ID}`, { server: server(manager), token: "jwt", locale: "zh-CN" });

    expect(await screen.findByTestId("latest-chamber-1.temperature")).toBeInTheDocument();
    expect(screen.queryByTestId("enterprise-data-note")).not.toBeInTheDocument();
  });
});
