import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { RescheduleButton } from "./RescheduleButton";

const DAY = 24 * 3_600_000;

describe("rescheduling a booking", () => {
  function booking() {
    const start = new Date(Math.ceil(Date.now() / DAY + 3) * DAY + 1 * 3_600_000); // 09:00 Beijing
    return {
      id: "b-1",
      instrument_id: "i-1",
      start_at: start.toISOString(),
      end_at: new Date(start.getTime() + 2 * 3_600_000).toISOString(),
      status: "confirmed",
    } as never;
  }
  const policy = { timezone: "Asia/Shanghai", slot_minutes: 30, cancellation_window_hours: 24 };

  it("sends the booking's times, as picked, and hands the new booking to the list", async () => {
    const moved: unknown[] = [];
    const server = new FakeServer()
      .on("GET /api/v1/instruments/i-1/booking-policy", json(policy))
      .on("POST /api/v1/bookings/b-1/reschedule", json({ id: "new-1", status: "confirmed" }, 201));
    renderWithApp(<RescheduleButton booking={booking()} onMoved={(b) => moved.push(b)} />, {
      server,
      token: "t",
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "改期" }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("24");
    await user.click(within(dialog).getByRole("button", { name: "确认改期" }));
    await waitFor(() => expect(moved).toEqual([{ id: "new-1", status: "confirmed" }]));
    const sent = JSON.parse(server.requestsTo("/api/v1/bookings/b-1/reschedule")[0]!.body!);
    const original = booking() as { start_at: string; end_at: string };
    expect(Date.parse(sent.start_at)).toBe(Date.parse(original.start_at));
    expect(Date.parse(sent.end_at)).toBe(Date.parse(original.end_at));
  });

  it("keeps the dialog open with the refusal in the reader's words inside the window", async () => {
    const moved: unknown[] = [];
    const server = new FakeServer().on("GET /api/v1/instruments/i-1/booking-policy", json(policy)).on(
      "POST /api/v1/bookings/b-1/reschedule",
      () =>
        new Response(
          JSON.stringify({
            type: "/problems/reschedule-too-late",
            title: "Too late",
            status: 409,
            code: "reschedule_too_late",
            hours: 24,
          }),
          { status: 409, headers: { "Content-Type": "application/problem+json" } },
        ),
    );
    renderWithApp(<RescheduleButton booking={booking()} onMoved={(b) => moved.push(b)} />, {
      server,
      token: "t",
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "改期" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "确认改期" }));
    expect(await within(dialog).findByText("已来不及改期")).toBeInTheDocument();
    expect(dialog).toHaveTextContent("开始前 24 小时内不能改期");
    expect(moved).toEqual([]);
  });
});
