import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { stateColour } from "../telemetry/states";
import { type TextId, useText } from "../telemetry/text";

export interface GatewayHealth {
  gateway: { id: string; key: string; name: string; status: string; last_seen_at: string | null };
  lag_s: number | null;
  heartbeat: { spool_depth: number; spool_dropped_total: number; last_seq: number } | null;
  gaps: { first_missing: number; last_missing: number; detected_at: string }[];
  missing_total: number;
}

export function formatLag(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Every gateway of the institution: connection, lag, spool backlog and sequence gaps. */
export function GatewaysPage() {
  const api = useApi();
  const tx = useText();
  const health = useQuery({
    queryKey: ["gateways", "health"],
    queryFn: () => api.call<GatewayHealth[]>("/gateways/health"),
    refetchInterval: 10_000,
  });
  if (health.isPending) return <Loading />;
  if (health.isError) return <ErrorNotice error={health.error} />;
  return (
    <section>
      <h1>{tx("gateways.title")}</h1>
      {health.data.length === 0 ? (
        <p className="empty">{tx("gateways.empty")}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{tx("gateways.key")}</th>
              <th>{tx("gateways.status")}</th>
              <th>{tx("gateways.lag")}</th>
              <th>{tx("gateways.spool")}</th>
              <th>{tx("gateways.dropped")}</th>
              <th>{tx("gateways.gaps")}</th>
              <th>{tx("gateways.lastSeen")}</th>
            </tr>
          </thead>
          <tbody>
            {health.data.map((h) => (
              <tr key={h.gateway.id} data-testid="gateway-row">
                <td>
                  <strong>{h.gateway.key}</strong> {h.gateway.name}
                </td>
                <td style={{ color: stateColour(h.gateway.status === "online" ? "running" : "offline") }}>
                  {tx(`gateways.${h.gateway.status}` as TextId)}
                </td>
                <td>{formatLag(h.lag_s)}</td>
                <td>{h.heartbeat?.spool_depth ?? "—"}</td>
                <td>{h.heartbeat?.spool_dropped_total ?? "—"}</td>
                <td title={h.gaps.map((g) => `${g.first_missing}–${g.last_missing}`).join(", ")}>
                  {h.missing_total}
                </td>
                <td>{h.gateway.last_seen_at ? formatShanghaiTime(h.gateway.last_seen_at) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
