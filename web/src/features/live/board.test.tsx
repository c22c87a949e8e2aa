import { screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { renderWithApp } from "../../test/render";
import { applyLiveEvent, chooseBoardLab, type LabBoard } from "./board";
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

describe("board lab and tiles", () => {
  const lab = (id: string, name: string) => ({ id, name, name_en: null });
  const emptyLab: LabBoard = { ...board, lab_id: "empty", instruments: [] };
  const noChannels: LabBoard = {
    ...board,
    lab_id: "quiet",
    instruments: board.instruments.map((i) => ({ ...i, readings: [] })),
  };

  it("opens a lab with live channels rather than the first by name", () => {
    const labs = [lab("empty", "化学实验室"), lab("quiet", "力学实验室"), lab("lab-1", "热工实验室")];
    const boards = new Map([
      ["empty", emptyLab],
      ["quiet", noChannels],
      ["lab-1", board],
    ]);
    expect(chooseBoardLab(labs, boards)).toBe("lab-1");
    boards.delete("lab-1");
    expect(chooseBoardLab(labs, boards)).toBe("quiet");
    expect(chooseBoardLab(labs, new Map())).toBe("empty");
    expect(chooseBoardLab([], new Map())).toBeUndefined();
  });

  it("shows readings with unit symbols and their significant digits, and the state in words", () => {
    const readings = [
      { channel: 7, unit: "degC", value: 20.5 },
      { channel: 8, unit: "percent", value: 55 },
      { channel: 9, unit: "dimensionless", value: 2 },
      { channel: 10, unit: "V", value: 0.0034 },
    ].map(({ channel, unit, value }) => ({
      ...board.instruments[0]!.readings[0]!,
      channel_id: channel,
      name: `p${channel}`,
      name_en: null,
      unit,
      value,
    }));
    const tiles: LabBoard = { ...board, instruments: [{ ...board.instruments[0]!, readings }] };
    renderWithApp(
      <MemoryRouter>
        <BoardView board={tiles} connected labs={[]} title="Board" />
      </MemoryRouter>,
      { locale: "zh-CN" },
    );
    const tile = screen.getByTestId("board-tile");
    expect(tile).toHaveTextContent("20.50°C");
    expect(tile).toHaveTextContent("55.00%");
    expect(tile).toHaveTextContent("0.00340 V");
    expect(tile).toHaveTextContent("空闲");
    expect(tile.textContent).not.toMatch(/degC|percent|dimensionless/);
  });
});
