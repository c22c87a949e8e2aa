import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { NotificationBell } from "./NotificationBell";

const notice = (id: string, title: string, read: boolean) => ({
  id,
  kind: "booking_rejected",
  title,
  body: `${title}：样品尺寸超出箱体容积`,
  data: {},
  read_at: read ? "2026-12-01T02:00:00Z" : null,
  created_at: "2026-12-01T01:30:00Z",
});

function server() {
  let list = [notice("n-1", "预约未通过 高低温试验箱", false), notice("n-2", "预约提醒 电子天平", true)];
  return new FakeServer()
    .on("GET /api/v1/notifications", () => json(list))
    .on("POST /api/v1/notifications/n-1/read", () => {
      list = list.map((n) => (n.id === "n-1" ? { ...n, read_at: "2026-12-03T00:00:00Z" } : n));
      return new Response(null, { status: 204 });
    });
}

describe("notification centre", () => {
  it("shows the unread count and marks a notification read when asked", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(
      <MemoryRouter>
        <NotificationBell />
      </MemoryRouter>,
      { server: fake, token: "t" },
    );
    const bell = await screen.findByRole("button", { name: "1 条未读通知" });
    await user.click(bell);
    const drawer = await screen.findByTestId("notifications");
    // A plain list (antd's List is deprecated): each notification is an item of it.
    const list = within(drawer).getByRole("list", { name: "通知中心" });
    const items = within(drawer).getAllByTestId("notification");
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("预约未通过 高低温试验箱");
    expect(items[0]).toHaveTextContent("2026-12-01 09:30");
    expect(items[0]).toHaveAttribute("data-read", "false");
    await user.click(within(items[0]!).getByRole("button", { name: "标为已读" }));
    await waitFor(() => expect(fake.requestsTo("/api/v1/notifications/n-1/read")).toHaveLength(1));
    expect(await screen.findByRole("button", { name: "通知" })).toBeInTheDocument();
    expect(fake.requestsTo("/api/v1/notifications/n-2/read")).toHaveLength(0);
  });
});
