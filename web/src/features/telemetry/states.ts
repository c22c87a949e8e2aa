import type { MessageId } from "../../i18n";

/** Instrument states as the server names them, and how the screens colour them. */
export type InstrumentState = "off" | "idle" | "running" | "fault" | "offline";

export const STATE_COLOURS: Record<InstrumentState | "unknown", string> = {
  running: "#1a7f37",
  idle: "#2f6fde",
  off: "#6e7781",
  fault: "#cf222e",
  offline: "#9a6700",
  unknown: "#afb8c1",
};

export function stateColour(state: string | null | undefined): string {
  return state && state in STATE_COLOURS ? STATE_COLOURS[state as InstrumentState] : STATE_COLOURS.unknown;
}

/** The tile's colour: a fault or an offline gateway outranks what the instrument reports. */
export function tileState(
  state: InstrumentState | null,
  gatewaysOffline: boolean,
): InstrumentState | "unknown" {
  if (state === "fault") return "fault";
  if (gatewaysOffline) return "offline";
  return state ?? "unknown";
}

/** A value outside the channel's normal range is an alarm; no value is no alarm. */
export function isAlarm(value: number | null, normalMin: number | null, normalMax: number | null): boolean {
  if (value === null) return false;
  return (normalMin !== null && value < normalMin) || (normalMax !== null && value > normalMax);
}

const STATE_MESSAGES = {
  off: "state.off",
  idle: "state.idle",
  running: "state.running",
  fault: "state.fault",
  offline: "state.offline",
} as const satisfies Record<InstrumentState, MessageId>;

/**
 * The dictionary entry naming a state, for every screen that shows one (board, catalogue,
 * history timeline); a state this app does not know yet reads as "unknown", not as a raw key.
 */
export function stateMessageId(state: string | null | undefined): MessageId {
  return state && Object.hasOwn(STATE_MESSAGES, state)
    ? STATE_MESSAGES[state as InstrumentState]
    : "state.unknown";
}
