import { describe, expect, it } from "vitest";
import { parseSse } from "./sse";

describe("parseSse", () => {
  it("splits complete events, skips keep-alives and keeps the unfinished tail", () => {
    const { events, rest } = parseSse(
      'event: hello\ndata: {"gateways":{}}\n\n: keep-alive\n\nevent: readings\ndata: {"readings":[]}\n\nevent: sta',
    );
    expect(events).toEqual([
      { event: "hello", data: { gateways: {} } },
      { event: "readings", data: { readings: [] } },
    ]);
    expect(rest).toBe("event: sta");
  });
});
