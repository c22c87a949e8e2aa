import { screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { renderWithApp } from "../../test/render";
import { applyLiveEvent, type LabBoard } from "./board";
import { BoardView } from "./LiveBoard";

const board: LabBoard = {
  lab_id: "lab-1",
  name: "热工实验室",
  name_en: "Thermal lab",
  gateways: [{ id: "gw-1", key: "demo-gw-01", name: "gw", status: "online", last_seen_at: null }],
  instruments: [
    {
      id: "ins-1",
      name: "高低温试验箱",
      name_en: "Temperature chamber",
      state: "idle",
      state_since: null,
      gateway_ids: ["gw-1"],
      readings: [
        {
          channel_id: 7,
          point_key: "temperature",
          name: "温度",
          name_en: "Temperature",
          unit: "degC",
          value: 20,
          ts: null,
          normal_min: -40,
          normal_max: 150,
          alarm: false,
        },
      ],
    },
  ],
};

describe("live board", () => {
  it("applies readings, raising an alarm outside the normal range", () => {
    const next = applyLiveEvent(board, "readings", { readings: [{ channel_id: 7, ts: 0, value: 180 }] });
    expect(next.instruments[0]?.readings[0]).toMatchObject({ value: 180, alarm: true });
    expect(board.instruments[0]?.readings[0]?.value).toBe(20); // not mutated
  });

  it("colours the tile by state and turns it offline when its gateway dies", () => {
    const running = applyLiveEvent(board, "state", { instrument_id: "ins-1", state: "running", at: 0 });
    const first = renderWithApp(
      <MemoryRouter>
        <BoardView board={running} connected labs={[]} title="Board" />
      </MemoryRouter>,
    );
    expect(screen.getByTestId("board-tile").dataset.state).toBe("running");
    const dead = applyLiveEvent(running, "gateway", { gateway: "demo-gw-01", status: "offline" });
    first.unmount();
    renderWithApp(
      <MemoryRouter>
        <BoardView board={dead} connected labs={[]} title="Board" />
      </MemoryRouter>,
    );
    expect(screen.getByTestId("board-tile").dataset.state).toBe("offline");
    expect(screen.getByRole("alert").textContent).toContain("demo-gw-01");
  });
});
