import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { BookingNotes, type BookingNote } from "./BookingNotes";

const PATH = "/api/v1/bookings/b-1/notes";

function note(id: string, body: string, side: "booker" | "lab", withFile = false): BookingNote {
  return {
    id,
    booking_id: "b-1",
    author_id: side === "lab" ? "u-lab" : "u-1",
    author_name: side === "lab" ? "王建国" : "张伟",
    author_side: side,
    body,
    attachment: withFile
      ? {
          filename: "样品清单.xlsx",
          content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          size_bytes: 2048,
        }
      : null,
    // 08:30 in Beijing.
    created_at: "2030-06-01T00:30:00Z",
  };
}

describe("booking notes", () => {
  it("shows the thread in Beijing time and appends a posted note", async () => {
    const thread = [note("n-1", "两个电池模组", "booker", true)];
    const fake = new FakeServer()
      .on(`GET ${PATH}`, () => json(thread))
      .on(`POST ${PATH}`, () => {
        const posted = note("n-2", "已收到，请贴好编号", "lab");
        thread.push(posted);
        return json(posted, 201);
      });
    const user = userEvent.setup();
    renderWithApp(<BookingNotes bookingId="b-1" />, { server: fake, token: "t" });

    const list = await screen.findByTestId("booking-note-list");
    expect(within(list).getByText("两个电池模组")).toBeInTheDocument();
    expect(within(list).getByText("2030-06-01 08:30:00")).toBeInTheDocument();
    expect(within(list).getByText(/样品清单\.xlsx/)).toBeInTheDocument();
    expect(within(list).getByText("预约方")).toBeInTheDocument();

    await user.type(screen.getByRole("textbox"), "已收到，请贴好编号");
    await user.click(screen.getByRole("button", { name: "发送" }));

    await waitFor(() => expect(within(list).getByText("已收到，请贴好编号")).toBeInTheDocument());
    expect(within(list).getByText("实验室")).toBeInTheDocument();
    expect(fake.requestsTo(PATH).filter((r) => r.method === "POST")).toHaveLength(1);
    expect(screen.getByRole("textbox")).toHaveValue("");
  });

  it("shows the server's refusal of an empty note in Chinese", async () => {
    const fake = new FakeServer().on(`GET ${PATH}`, json([])).on(
      `POST ${PATH}`,
      new Response(
        JSON.stringify({
          type: "/problems/validation-failed",
          title: "Validation failed",
          status: 422,
          detail: "body: write some text or attach a file",
          code: "booking_note_empty",
          errors: [{ field: "body", message: "write some text or attach a file" }],
        }),
        { status: 422, headers: { "Content-Type": "application/problem+json" } },
      ),
    );
    const user = userEvent.setup();
    renderWithApp(<BookingNotes bookingId="b-1" />, { server: fake, token: "t" });

    expect(await screen.findByText("还没有留言")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "发送" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("留言不能为空");
    expect(alert).toHaveTextContent("请填写样品说明，或附上一个文件。");
  });
});
