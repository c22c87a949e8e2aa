import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { FakeServer } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { applyLiveEvent, chooseBoardLab, type LabBoard } from "./board";
import { BoardView } from "./LiveBoard";
import { CONDITION_COLOURS } from "./tile";

const STATUS_LABELS = [
  { value: 0, state: "off" as const },
  { value: 1, state: "idle" as const },
  { value: 2, state: "running" as const },
  { value: 3, state: "fault" as const },
];

const board: LabBoard = {
  lab_id: "lab-1",
  name: "热工实验室",
  name_en: "Thermal lab",
  gateways: [
    {
      id: "gw-1",
      key: "demo-gw-01",
      name: "gw",
      status: "online",
      last_seen_at: null,
      heartbeat_at: null,
      heartbeat_missing: false,
    },
  ],
  alarms: [],
  instruments: [
    {
      id: "ins-1",
      name: "高低温试验箱",
      name_en: "Temperature chamber",
      state: "idle",
      state_since: null,
      gateway_ids: ["gw-1"],
      usability: {
        out_of_service: null,
        calibration: "valid",
        calibration_valid_to: null,
        never_calibrated: false,
      },
      alarms: [],
      readings: [
        {
          channel_id: 7,
          point_key: "temperature",
          name: "温度",
          name_en: "Temperature",
          unit: "degC",
          value: 20,
          ts: null,
          quality: "ok",
          normal_min: -40,
          normal_max: 150,
          alarm: false,
          value_labels: null,
        },
      ],
    },
  ],
};

const chamber = board.instruments[0]!;
const temperature = chamber.readings[0]!;

function show(shown: LabBoard, locale: "zh-CN" | "en" = "zh-CN", server?: FakeServer) {
  return renderWithApp(
    <MemoryRouter>
      <BoardView board={shown} connected title="Board" />
    </MemoryRouter>,
    { locale, server },
  );
}

function withChamber(patch: Partial<typeof chamber>, alarms: LabBoard["alarms"] = []): LabBoard {
  return { ...board, alarms, instruments: [{ ...chamber, ...patch }] };
}

describe("live board", () => {
  it("applies readings, raising an alarm outside the normal range", () => {
    const next = applyLiveEvent(board, "readings", {
      readings: [{ channel_id: 7, ts: 0, value: 180, quality: "ok" }],
    });
    expect(next.instruments[0]?.readings[0]).toMatchObject({ value: 180, alarm: true });
    expect(board.instruments[0]?.readings[0]?.value).toBe(20); // not mutated
  });

  it("colours the tile by state and turns it offline when its gateway dies", () => {
    const running = applyLiveEvent(board, "state", { instrument_id: "ins-1", state: "running", at: 0 });
    const first = show(running);
    expect(screen.getByTestId("board-tile").dataset.state).toBe("running");
    const dead = applyLiveEvent(running, "gateway", { gateway: "demo-gw-01", status: "offline" });
    first.unmount();
    show(dead);
    expect(screen.getByTestId("board-tile").dataset.state).toBe("offline");
    expect(screen.getAllByRole("alert")[0]?.textContent).toContain("demo-gw-01");
  });

  it("is not green while the instrument is out of service, and says why, in both languages", () => {
    const outOfService = withChamber({
      state: "running",
      usability: {
        out_of_service: { since: "2026-12-02T06:00:00Z", cause: "check_failed", reason: "x" },
        calibration: "out_of_service",
        calibration_valid_to: null,
        never_calibrated: false,
      },
    });
    const zh = show(outOfService);
    const tile = screen.getByTestId("board-tile");
    expect(tile.dataset.state).toBe("out_of_service");
    expect(tile.style.borderLeft).not.toContain("rgb(26, 127, 55)"); // not the running green
    expect(within(tile).getByTestId("tile-condition")).toHaveTextContent("停用");
    expect(within(tile).getByTestId("state-icon").dataset.icon).toBe("out_of_service");
    const why = within(tile).getByTestId("tile-why");
    expect(why).toHaveTextContent("期间核查不合格");
    expect(why).toHaveTextContent("2026-12-02 14:00:00"); // Beijing time
    expect(why).toHaveTextContent("仪器上报：运行中");
    expect(tile.textContent).not.toMatch(/check_failed|out_of_service/);
    zh.unmount();
    show(outOfService, "en");
    expect(screen.getByTestId("tile-condition")).toHaveTextContent("Out of service");
    expect(screen.getByTestId("tile-why")).toHaveTextContent("Intermediate check failed");
  });

  it("puts an expired calibration above the telemetry state", () => {
    show(
      withChamber({
        state: "running",
        usability: {
          out_of_service: null,
          calibration: "expired",
          calibration_valid_to: "2026-11-30T16:00:00Z",
          never_calibrated: false,
        },
      }),
    );
    const tile = screen.getByTestId("board-tile");
    expect(tile.dataset.state).toBe("calibration_expired");
    expect(tile).toHaveTextContent("校准过期");
    expect(tile).toHaveTextContent("证书已于 2026-12-01 00:00:00 到期");
    expect(CONDITION_COLOURS.calibration_expired).not.toBe(CONDITION_COLOURS.running);
  });

  it("shows a status register in words from its value map, never as a bare code", () => {
    const status = {
      ...temperature,
      channel_id: 9,
      point_key: "status",
      name: "状态",
      name_en: "Status",
      unit: "dimensionless",
      value: 2,
      normal_min: null,
      normal_max: null,
      value_labels: STATUS_LABELS.map((label) =>
        label.value === 2 ? { ...label, name: "运行", name_en: "Running" } : label,
      ),
    };
    const first = show(withChamber({ readings: [status] }));
    expect(screen.getByTestId("reading-status")).toHaveTextContent("运行 Running");
    expect(document.body.textContent).not.toMatch(/状态\s*2/);
    first.unmount();
    // Without a name of its own the value reads as the state the state rule gives it.
    const second = show(
      withChamber({ readings: [{ ...status, value: 3, value_labels: STATUS_LABELS }] }),
      "en",
    );
    expect(screen.getByTestId("reading-status")).toHaveTextContent("Fault");
    second.unmount();
    // A value the map does not name is said to be a code, with the number.
    show(withChamber({ readings: [{ ...status, value: 7 }] }));
    expect(screen.getByTestId("reading-status")).toHaveTextContent("代码 7（取值表中未定义）");
  });

  it("lists alarms on the tile and the board, and acknowledges one with a note", async () => {
    const since = "2026-12-02T06:00:10Z";
    const loop = {
      kind: "loop_fault" as const,
      subject: "7",
      instrument_id: "ins-1",
      since,
      channel_id: 7,
      quality: "loop_low_fault" as const,
      acknowledged: null,
    };
    const spc = {
      kind: "spc" as const,
      subject: "41",
      instrument_id: null,
      since,
      spc_alarm_id: 41,
      spc_kind: "rule",
      spc_rule: 3,
      characteristic: "轴径（量规 1）",
      acknowledged: null,
    };
    const server = new FakeServer().on("POST /api/v1/instruments/ins-1/alarms/acknowledge", {
      ...loop,
      acknowledged: { at: since, by: "李晓梅", note: "接线已紧固" },
    });
    show(withChamber({ alarms: [loop] }, [loop, spc]), "zh-CN", server);
    const tile = screen.getByTestId("board-tile");
    expect(within(tile).getByTestId("tile-alarms")).toHaveTextContent(
      "温度：4–20 mA 回路故障（电流过低，可能断线）",
    );
    const list = screen.getByTestId("board-alarms");
    expect(list).toHaveTextContent("报警 2");
    const [loopItem, spcItem] = within(list).getAllByTestId("board-alarm");
    expect(spcItem).toHaveTextContent("检测工位");
    expect(spcItem).toHaveTextContent("SPC 报警 · 轴径（量规 1）：判异准则 3");
    await userEvent.click(within(loopItem!).getByRole("button", { name: "确认" }));
    await userEvent.type(within(loopItem!).getByLabelText("确认备注"), "接线已紧固");
    await userEvent.click(within(loopItem!).getByRole("button", { name: "提交" }));
    await waitFor(() =>
      expect(server.requestsTo("/api/v1/instruments/ins-1/alarms/acknowledge")).toHaveLength(1),
    );
    const [sent] = server.requestsTo("/api/v1/instruments/ins-1/alarms/acknowledge");
    expect(JSON.parse(sent!.body!)).toEqual({ kind: "loop_fault", subject: "7", since, note: "接线已紧固" });
  });

  it("shows who acknowledged an alarm, when and their note", () => {
    const acked = {
      kind: "state_fault" as const,
      subject: "",
      instrument_id: "ins-1",
      since: "2026-12-02T06:00:00Z",
      acknowledged: { at: "2026-12-02T06:05:00Z", by: "王建国", note: "已通知厂家" },
    };
    show(withChamber({ state: "fault", alarms: [acked] }, [acked]), "en");
    const list = screen.getByTestId("board-alarms");
    expect(list).toHaveTextContent("Alarms: 0");
    expect(list).toHaveTextContent("Acknowledged by 王建国, 2026-12-02 14:05:00: 已通知厂家");
    expect(within(list).queryByRole("button", { name: "Acknowledge" })).toBeNull();
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
      ...temperature,
      channel_id: channel,
      point_key: `p${channel}`,
      name: `p${channel}`,
      name_en: null,
      unit,
      value,
    }));
    show(withChamber({ readings }));
    const tile = screen.getByTestId("board-tile");
    expect(tile).toHaveTextContent("20.50°C");
    expect(tile).toHaveTextContent("55.00%");
    expect(tile).toHaveTextContent("0.00340 V");
    expect(tile).toHaveTextContent("空闲");
    expect(tile.textContent).not.toMatch(/degC|percent|dimensionless/);
  });
});
