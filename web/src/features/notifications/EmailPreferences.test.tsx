import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { EmailPreferences } from "./EmailPreferences";

const row = (kind: string, group: string, email_enabled: boolean, editable = true) => ({
  kind,
  group,
  email_enabled,
  editable,
});

function server() {
  let preferences = [
    row("booking_confirmed", "bookings", true),
    row("booking_reminder", "bookings", false),
    row("calibration.out_of_tolerance", "quality", true, false),
  ];
  const answer = () => json({ email: "buyer@jingce.demo", email_possible: true, preferences });
  return new FakeServer()
    .on("GET /api/v1/notifications/preferences", answer)
    .on("PUT /api/v1/notifications/preferences", (request: { body: string | null }) => {
      const changes = (
        JSON.parse(request.body ?? "{}") as { preferences: { kind: string; email_enabled: boolean }[] }
      ).preferences;
      preferences = preferences.map((p) => {
        const change = changes.find((c) => c.kind === p.kind);
        return change ? { ...p, email_enabled: change.email_enabled } : p;
      });
      return answer();
    });
}

describe("e-mail preferences", () => {
  it("shows the server's settings, saves a toggle and keeps mandatory kinds on", async () => {
    const fake = server();
    const user = userEvent.setup();
    renderWithApp(<EmailPreferences />, { server: fake, token: "t" });
    const confirmed = await screen.findByRole("switch", { name: "预约已确认 邮件" });
    const reminder = screen.getByRole("switch", { name: "预约开始前提醒 邮件" });
    const mandatory = screen.getByRole("switch", { name: "仪器超差，检测结果可能受影响 邮件" });
    expect(confirmed).toBeChecked();
    expect(reminder).not.toBeChecked();
    expect(mandatory).toBeChecked();
    expect(mandatory).toBeDisabled();
    expect(screen.getByText("必须发送")).toBeInTheDocument();
    expect(screen.getByText("我的预约")).toBeInTheDocument();
    // No raw kind values on screen.
    expect(screen.queryByText(/booking_confirmed|out_of_tolerance/)).toBeNull();

    await user.click(confirmed);
    await waitFor(() => expect(fake.requestsTo("/api/v1/notifications/preferences")).toHaveLength(2));
    const put = fake.requestsTo("/api/v1/notifications/preferences").find((r) => r.method === "PUT");
    expect(JSON.parse(put!.body!)).toEqual({
      preferences: [{ kind: "booking_confirmed", email_enabled: false }],
    });
    await waitFor(() => expect(screen.getByRole("switch", { name: "预约已确认 邮件" })).not.toBeChecked());
    expect(await screen.findByText("已保存邮件提醒设置")).toBeInTheDocument();
  });

  it("explains a refused change in the reader's language", async () => {
    const refused = {
      type: "/problems/validation-failed",
      title: "Validation failed",
      status: 422,
      detail: "preferences.0.kind: unknown",
      code: "notification_kind_unknown",
    };
    const fake = server().on(
      "PUT /api/v1/notifications/preferences",
      () =>
        new Response(JSON.stringify(refused), {
          status: 422,
          headers: { "Content-Type": "application/problem+json" },
        }),
    );
    const user = userEvent.setup();
    renderWithApp(<EmailPreferences />, { server: fake, token: "t" });
    await user.click(await screen.findByRole("switch", { name: "预约已确认 邮件" }));
    expect(await screen.findByText("没有这种通知")).toBeInTheDocument();
  });
});
