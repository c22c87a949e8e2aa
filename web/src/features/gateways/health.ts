import type { GatewayHealth } from "./api";
import type { GatewayTextId } from "./text";

/** A point the lab manager should look at, as a text id and its values. */
export interface HealthProblem {
  id: GatewayTextId;
  vars?: Record<string, string | number>;
  /** The gateway's own words (a device error), shown beside the translated text. */
  detail?: string | null;
}

/** Heartbeats come every 30 s by default; this much silence from a connected gateway is a problem. */
export const SILENCE_LIMIT_S = 5 * 60;

export type GatewayCondition = "online" | "offline" | "unknown" | "retired";

export function condition(health: GatewayHealth): GatewayCondition {
  if (health.gateway.retired_at) return "retired";
  return health.gateway.status;
}

/** Seconds since the newest heartbeat reached the server; null when none ever did. */
export function heartbeatAge(health: GatewayHealth, now: number = Date.now()): number | null {
  const received = health.heartbeat?.received_at;
  if (!received) return null;
  return Math.max(0, (now - new Date(received).getTime()) / 1000);
}

/** "12 s ago" style text id and count for an age in seconds. */
export function ageText(seconds: number | null): HealthProblem {
  if (seconds === null) return { id: "heartbeat.never" };
  if (seconds < 60) return { id: "heartbeat.seconds", vars: { n: Math.floor(seconds) } };
  if (seconds < 3600) return { id: "heartbeat.minutes", vars: { n: Math.floor(seconds / 60) } };
  if (seconds < 86400) return { id: "heartbeat.hours", vars: { n: Math.floor(seconds / 3600) } };
  return { id: "heartbeat.days", vars: { n: Math.floor(seconds / 86400) } };
}

export function formatLag(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

interface DeviceStatus {
  device?: string;
  status?: string;
  error?: string | null;
}

/** Everything wrong with a gateway now, most urgent first; empty when all is well. */
export function healthProblems(health: GatewayHealth, now: number = Date.now()): HealthProblem[] {
  if (health.gateway.retired_at) return [];
  const problems: HealthProblem[] = [];
  const age = heartbeatAge(health, now);
  if (health.gateway.status === "online" && age !== null && age > SILENCE_LIMIT_S) {
    problems.push({ id: "problem.silent", vars: { minutes: Math.floor(SILENCE_LIMIT_S / 60) } });
  }
  for (const raw of (health.heartbeat?.devices ?? []) as DeviceStatus[]) {
    const device = raw.device ?? "?";
    if (raw.status === "failing")
      problems.push({ id: "problem.deviceFailing", vars: { device }, detail: raw.error });
    else if (raw.status === "disabled") problems.push({ id: "problem.deviceDisabled", vars: { device } });
  }
  if (health.missing_total > 0) problems.push({ id: "problem.missing", vars: { n: health.missing_total } });
  const dropped = health.heartbeat?.spool_dropped_total ?? 0;
  if (dropped > 0) problems.push({ id: "problem.dropped", vars: { n: dropped } });
  return problems;
}
