import { describe, expect, it } from "vitest";
import type { GatewayHealth } from "./api";
import { ageText, condition, healthProblems, heartbeatAge } from "./health";
import { gatewayText } from "./text";

const NOW = Date.parse("2026-12-03T06:00:00Z");

function health(
  overrides: Partial<GatewayHealth> = {},
  gateway: Partial<GatewayHealth["gateway"]> = {},
): GatewayHealth {
  return {
    gateway: {
      id: "g1",
      key: "gw-1",
      name: "网关一",
      organisation_id: "o1",
      status: "online",
      last_seen_at: "2026-12-03T05:59:50Z",
      config_hash: null,
      last_seq: 10,
      retired_at: null,
      ...gateway,
    },
    lag_s: 0.4,
    heartbeat: {
      received_at: "2026-12-03T05:59:50Z",
      sent_at: "2026-12-03T05:59:49.6Z",
      spool_depth: 0,
      spool_dropped_total: 0,
      last_seq: 10,
      devices: [{ device: "chamber-1", status: "ok" }],
    },
    gaps: [],
    missing_total: 0,
    ...overrides,
  };
}

describe("gateway health", () => {
  it("finds nothing wrong with a gateway that beats and loses nothing", () => {
    expect(healthProblems(health(), NOW)).toEqual([]);
    expect(heartbeatAge(health(), NOW)).toBe(10);
    expect(gatewayText("zh-CN", ageText(10).id, ageText(10).vars)).toBe("10 秒前");
    expect(gatewayText("en", ageText(7200).id, ageText(7200).vars)).toBe("2 h ago");
  });

  it("names failing devices, lost sequence numbers, dropped samples and silence in words", () => {
    const sick = health({
      missing_total: 12,
      heartbeat: {
        received_at: "2026-12-03T05:40:00Z",
        sent_at: "2026-12-03T05:40:00Z",
        spool_depth: 900,
        spool_dropped_total: 30,
        last_seq: 10,
        devices: [
          { device: "chamber-1", status: "failing", error: "timeout" },
          { device: "balance", status: "disabled" },
        ],
      },
    });
    const lines = healthProblems(sick, NOW).map((p) => gatewayText("zh-CN", p.id, p.vars));
    expect(lines).toEqual([
      "超过 5 分钟没有心跳",
      "设备 chamber-1 读取失败",
      "设备 balance 已停用",
      "缺失 12 条数据序号",
      "缓存已满，丢弃 30 个样本",
    ]);
    expect(healthProblems(sick, NOW)[1]?.detail).toBe("timeout");
  });

  it("treats a retired gateway as retired, with nothing to fix", () => {
    const retired = health({ missing_total: 3 }, { retired_at: "2026-12-01T00:00:00Z", status: "offline" });
    expect(condition(retired)).toBe("retired");
    expect(healthProblems(retired, NOW)).toEqual([]);
  });

  it("says a gateway never heard from has never sent a heartbeat", () => {
    const silent = health({ heartbeat: null, lag_s: null }, { status: "unknown" });
    expect(heartbeatAge(silent, NOW)).toBeNull();
    expect(gatewayText("en", ageText(null).id)).toBe("Never received");
  });
});
