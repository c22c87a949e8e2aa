import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { chooseOption } from "../../test/antd";
import { FakeServer, json } from "../../test/fakeServer";
import { manager } from "../../test/fixtures";
import { renderRoute } from "../../test/render";

const STAFF_ID = "4a3c1f52-0000-4000-8000-000000000002";
const members = [
  {
    id: manager.id,
    email: manager.email,
    full_name: "王主管",
    role: "lab_manager",
    created_at: "2026-01-05T01:00:00Z",
  },
  {
    id: STAFF_ID,
    email: "staff@zjim.demo",
    full_name: "李晓梅",
    role: "lab_staff",
    created_at: "2026-02-01T01:00:00Z",
  },
];

function server() {
  return new FakeServer()
    .on("GET /api/v1/auth/me", manager)
    .on("GET /api/v1/members", members)
    .on("GET /api/v1/invitations", [])
    .on(`PUT /api/v1/members/${STAFF_ID}/role`, json({ ...members[1], role: "lab_manager" }))
    .on(
      "POST /api/v1/invitations",
      json(
        {
          id: "inv-1",
          email: "zhou@zjim.example",
          role: "lab_manager",
          expires_at: "2026-12-10T01:00:00Z",
          accepted_at: null,
          created_at: "2026-12-03T01:00:00Z",
          token: "tok-123",
        },
        201,
      ),
    );
}

describe("members and invitations of an institution", () => {
  it("lets the lab manager invite a colleague as lab manager and promote a member, never themself", async () => {
    const user = userEvent.setup();
    const fake = server();
    renderRoute("/invitations", { server: fake, token: "jwt", locale: "zh-CN" });
    const table = await screen.findByTestId("members");
    await within(table).findByText("李晓梅");
    // Their own role is text, not a choice; the colleague's is a choice of institution roles.
    expect(within(table).queryByRole("combobox", { name: "王主管 的角色" })).toBeNull();
    await chooseOption(user, "李晓梅 的角色", "实验室主管");
    await waitFor(() => expect(fake.requestsTo(`/api/v1/members/${STAFF_ID}/role`)).toHaveLength(1));
    expect(JSON.parse(fake.requestsTo(`/api/v1/members/${STAFF_ID}/role`)[0]!.body!)).toEqual({
      role: "lab_manager",
    });
    expect(await screen.findByText("已将 李晓梅 设为实验室主管")).toBeInTheDocument();

    await user.type(screen.getByLabelText("被邀请人邮箱"), "zhou@zjim.example");
    await chooseOption(user, "加入后的角色", "实验室主管");
    await user.click(screen.getByTestId("invite-send"));
    expect(await screen.findByTestId("invite-link")).toHaveTextContent("/invite/tok-123");
    expect(screen.getByText(/角色：实验室主管/)).toBeInTheDocument();
    expect(
      JSON.parse(fake.requestsTo("/api/v1/invitations").find((r) => r.method === "POST")!.body!),
    ).toEqual({
      email: "zhou@zjim.example",
      role: "lab_manager",
    });
  });

  it("shows lab staff that only administrators manage members, in English too", async () => {
    renderRoute("/invitations", {
      server: new FakeServer().on("GET /api/v1/auth/me", { ...manager, role: "lab_staff" }),
      token: "jwt",
      locale: "en",
    });
    expect(await screen.findByText(/Only your organisation's administrator/)).toBeInTheDocument();
  });
});
