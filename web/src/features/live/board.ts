import type { Quality } from "../../api";
import type { Schemas } from "../../api/types";
import type { InstrumentState } from "../telemetry/states";
import { isAlarm } from "../telemetry/states";

export type BoardReading = Schemas["BoardReading"];
export type BoardInstrument = Schemas["BoardInstrument"];
export type BoardGateway = Schemas["BoardGateway"];
export type LabBoard = Schemas["LabBoard"];
export type InstitutionBoard = Schemas["InstitutionBoard"];
export type BoardIndexEntry = Schemas["BoardIndexEntry"];

interface LiveReading {
  channel_id: number;
  ts: number;
  value: number | null;
  quality?: Quality | null;
}

/** Applies one stream event to the board; returns a new board (or the same when unchanged). */
export function applyLiveEvent(board: LabBoard, event: string, data: unknown): LabBoard {
  if (event === "readings") {
    const readings = (data as { readings?: LiveReading[] }).readings ?? [];
    const byChannel = new Map(readings.map((r) => [r.channel_id, r]));
    return {
      ...board,
      instruments: board.instruments.map((instrument) => ({
        ...instrument,
        readings: instrument.readings.map((reading) => {
          const live = byChannel.get(reading.channel_id);
          if (!live) return reading;
          return {
            ...reading,
            value: live.value,
            ts: new Date(live.ts).toISOString(),
            quality: live.quality === undefined ? reading.quality : live.quality,
            alarm: isAlarm(live.value, reading.normal_min, reading.normal_max),
          };
        }),
      })),
    };
  }
  if (event === "state") {
    const change = data as { instrument_id: string; state: InstrumentState; at: number };
    return {
      ...board,
      instruments: board.instruments.map((instrument) =>
        instrument.id === change.instrument_id
          ? { ...instrument, state: change.state, state_since: new Date(change.at).toISOString() }
          : instrument,
      ),
    };
  }
  if (event === "gateway") {
    const change = data as { gateway: string; status: string };
    return {
      ...board,
      gateways: board.gateways.map((g) => (g.key === change.gateway ? { ...g, status: change.status } : g)),
    };
  }
  return board;
}

export interface Lab {
  id: string;
  name: string;
  name_en: string | null;
}

/** How much a lab has to show live: instruments with channels first, then any instruments. */
function liveness(board: LabBoard | undefined): number {
  if (!board) return 0;
  if (board.instruments.some((i) => i.readings.length > 0)) return 2;
  return board.instruments.length > 0 ? 1 : 0;
}

/**
 * The lab `/board` opens without a lab id: the first (in the server's order) whose board has
 * instruments with channels, else one with any instruments, else simply the first lab.
 */
export function chooseBoardLab(
  labs: readonly Lab[],
  boards: ReadonlyMap<string, LabBoard>,
): string | undefined {
  let best: Lab | undefined;
  for (const lab of labs) {
    if (best === undefined || liveness(boards.get(lab.id)) > liveness(boards.get(best.id))) best = lab;
  }
  return best?.id;
}
