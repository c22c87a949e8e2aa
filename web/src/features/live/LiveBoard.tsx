import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { stateColour, tileState } from "../telemetry/states";
import { useText } from "../telemetry/text";
import { applyLiveEvent, type LabBoard } from "./board";
import { followStream } from "./sse";

interface Lab {
  id: string;
  name: string;
  name_en: string | null;
}

/** The lab's instruments as tiles coloured by state, fed by the lab's live stream. */
export function LiveBoard({ labId }: { labId?: string }) {
  const api = useApi();
  const tx = useText();
  const labs = useQuery({ queryKey: ["labs"], queryFn: () => api.call<Lab[]>("/labs") });
  const chosen = labId ?? labs.data?.[0]?.id;
  const initial = useQuery({
    queryKey: ["labs", chosen, "board"],
    queryFn: () => api.call<LabBoard>(`/labs/${encodeURIComponent(chosen ?? "")}/board`),
    enabled: Boolean(chosen),
  });
  const [board, setBoard] = useState<LabBoard | null>(null);
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    if (initial.data) setBoard(initial.data);
  }, [initial.data]);

  useEffect(() => {
    if (!chosen || !initial.data) return;
    const controller = new AbortController();
    void followStream(
      {
        url: `/api/v1/labs/${encodeURIComponent(chosen)}/live`,
        token: api.tokens.get(),
        onEvent: ({ event, data }) =>
          setBoard((current) => (current ? applyLiveEvent(current, event, data) : current)),
        onStatus: setConnected,
      },
      controller.signal,
    );
    return () => controller.abort();
  }, [api, chosen, initial.data]);

  if (labs.isError) return <ErrorNotice error={labs.error} />;
  if (initial.isError) return <ErrorNotice error={initial.error} />;
  if (!board) return <Loading />;
  return <BoardView board={board} connected={connected} labs={labs.data ?? []} title={tx("board.title")} />;
}

export function BoardView({
  board,
  connected,
  labs,
  title,
}: {
  board: LabBoard;
  connected: boolean;
  labs: Lab[];
  title: string;
}) {
  const { pickName } = useI18n();
  const tx = useText();
  const offline = board.gateways.filter((g) => g.status === "offline");
  const offlineIds = new Set(offline.map((g) => g.id));
  return (
    <section>
      <div className="detail-head">
        <h1>
          {title} · {pickName(board.name, board.name_en)}
        </h1>
        <span className="badge" data-testid="live-status">
          {connected ? tx("board.connected") : tx("board.reconnecting")}
        </span>
      </div>
      {labs.length > 1 && (
        <nav className="app-nav">
          {labs.map((lab) => (
            <Link key={lab.id} to={`/board/${lab.id}`}>
              {pickName(lab.name, lab.name_en)}
            </Link>
          ))}
        </nav>
      )}
      {offline.length > 0 && (
        <p className="alert alert-error" role="alert">
          {tx("board.gatewaysOffline", { keys: offline.map((g) => g.key).join(", ") })}
        </p>
      )}
      {board.instruments.length === 0 && <p className="empty">{tx("board.empty")}</p>}
      <div className="tile-grid">
        {board.instruments.map((instrument) => {
          const state = tileState(
            instrument.state,
            instrument.gateway_ids.length > 0 && instrument.gateway_ids.every((id) => offlineIds.has(id)),
          );
          const alarms = instrument.readings.filter((r) => r.alarm);
          return (
            <Link
              key={instrument.id}
              to={`/instruments/${instrument.id}`}
              className="card tile"
              data-testid="board-tile"
              data-state={state}
              style={{ borderLeft: `6px solid ${stateColour(state)}` }}
            >
              <strong>{pickName(instrument.name, instrument.name_en)}</strong>
              <div style={{ color: stateColour(state) }}>{tx(`state.${state}`)}</div>
              {alarms.length > 0 && (
                <div className="alert alert-error" role="alert">
                  {tx("board.alarms", { count: alarms.length })}
                </div>
              )}
              <dl className="facts">
                {instrument.readings.map((r) => (
                  <div key={r.channel_id} style={{ display: "contents" }}>
                    <dt>{pickName(r.name, r.name_en)}</dt>
                    <dd style={r.alarm ? { color: stateColour("fault"), fontWeight: 600 } : undefined}>
                      {r.value === null ? "—" : `${Number(r.value.toFixed(2))} ${r.unit}`}
                    </dd>
                  </div>
                ))}
              </dl>
            </Link>
          );
        })}
      </div>
    </section>
  );
}
