import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { Waitlist } from "./Waitlist";

const INSTRUMENTS = [{ id: "i-1", name: "高低温试验箱", name_en: "Temperature chamber" }] as never;

function entry(id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    instrument_id: "i-1",
    user_id: "u-2",
    start_at: "2030-06-03T01:00:00Z",
    end_at: "2030-06-03T03:00:00Z",
    status,
    offer_expires_at: null,
    booking_id: null,
    created_at: "2030-06-01T00:00:00Z",
    ...extra,
  };
}

describe("my waitlist", () => {
  it("shows nothing until the user has waited for a slot", async () => {
    const server = new FakeServer().on("GET /api/v1/waitlist", json([]));
    const { container } = renderWithApp(<Waitlist instruments={INSTRUMENTS} />, { server, token: "t" });
    await waitFor(() => expect(server.requestsTo("/api/v1/waitlist")).toHaveLength(1));
    await waitFor(() => expect(container.querySelector("[data-testid=waitlist]")).toBeNull());
    expect(screen.queryByRole("region", { name: "我的候补" })).toBeNull();
  });

  it("accepts an offered slot before its deadline and shows the new booking's reference", async () => {
    const server = new FakeServer()
      .on(
        "GET /api/v1/waitlist",
        json([
          entry("w-1", "offered", { offer_expires_at: "2030-06-02T04:30:00Z" }),
          entry("w-2", "waiting"),
        ]),
      )
      .on("POST /api/v1/waitlist/w-1/accept", json({ id: "7f3a09c2-0000-0000-0000-000000000000" }));
    renderWithApp(<Waitlist instruments={INSTRUMENTS} />, { server, token: "t" });
    const region = await screen.findByRole("region", { name: "我的候补" });
    // Statuses in words, the offer's deadline in Beijing time, the instrument by name.
    expect(region).toHaveTextContent("时段已空出，待确认");
    expect(region).toHaveTextContent("候补中");
    expect(region).toHaveTextContent("请在 2030-06-02 12:30 前确认");
    expect(region).toHaveTextContent("高低温试验箱");
    expect(region).not.toHaveTextContent("offered");
    // Only the offered slot can be accepted; both can be left.
    expect(within(region).getAllByRole("button", { name: "接受并预约" })).toHaveLength(1);
    expect(within(region).getAllByRole("button", { name: "退出候补" })).toHaveLength(2);
    await userEvent.setup().click(within(region).getByRole("button", { name: "接受并预约" }));
    expect(await screen.findByTestId("offer-accepted")).toHaveTextContent("7F3A09C2");
  });

  it("leaves the waitlist only after the user confirms", async () => {
    const server = new FakeServer()
      .on("GET /api/v1/waitlist", json([entry("w-2", "waiting")]))
      .on("DELETE /api/v1/waitlist/w-2", () => new Response(null, { status: 204 }));
    renderWithApp(<Waitlist instruments={INSTRUMENTS} />, { server, token: "t" });
    const region = await screen.findByRole("region", { name: "我的候补" });
    const user = userEvent.setup();
    await user.click(within(region).getByRole("button", { name: "退出候补" }));
    expect(server.requestsTo("/api/v1/waitlist/w-2")).toHaveLength(0);
    const confirm = await screen.findByRole("tooltip");
    await user.click(within(confirm).getByRole("button", { name: "退出候补" }));
    await waitFor(() => expect(server.requestsTo("/api/v1/waitlist/w-2")).toHaveLength(1));
  });
});
