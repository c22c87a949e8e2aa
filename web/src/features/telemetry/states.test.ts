import { describe, expect, it } from "vitest";
import { translate } from "../../i18n";
import { isAlarm, STATE_COLOURS, stateColour, stateMessageId, tileState } from "./states";

describe("state colouring", () => {
  it("gives every state its own colour and unknown states a neutral one", () => {
    const colours = ["off", "idle", "running", "fault", "offline"].map(stateColour);
    expect(new Set(colours).size).toBe(5);
    expect(stateColour("running")).toBe(STATE_COLOURS.running);
    expect(stateColour("exploded")).toBe(STATE_COLOURS.unknown);
    expect(stateColour(null)).toBe(STATE_COLOURS.unknown);
  });

  it("shows an instrument whose gateways are all offline as offline, but a fault stays a fault", () => {
    expect(tileState("running", true)).toBe("offline");
    expect(tileState("fault", true)).toBe("fault");
    expect(tileState("idle", false)).toBe("idle");
    expect(tileState(null, false)).toBe("unknown");
  });
});

describe("alarms", () => {
  it("flags values outside the normal range only", () => {
    expect(isAlarm(151, -40, 150)).toBe(true);
    expect(isAlarm(-41, -40, 150)).toBe(true);
    expect(isAlarm(150, -40, 150)).toBe(false);
    expect(isAlarm(null, -40, 150)).toBe(false);
    expect(isAlarm(1e9, null, null)).toBe(false);
  });
});

describe("state names", () => {
  it("names every state through the dictionaries, unknown ones as unknown", () => {
    const names = ["off", "idle", "running", "fault", "offline"].map((s) =>
      translate("zh-CN", stateMessageId(s)),
    );
    expect(names).toEqual(["关机", "空闲", "运行中", "故障", "离线"]);
    expect(translate("en", stateMessageId("running"))).toBe("Running");
    expect(stateMessageId("toString")).toBe("state.unknown");
    expect(stateMessageId(null)).toBe("state.unknown");
  });
});
