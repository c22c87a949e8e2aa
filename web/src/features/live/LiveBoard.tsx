import { useQueries, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { formatMeasurement } from "../../lib/format";
import { useInstruments } from "../instruments/queries";
import { stateColour, stateMessageId, tileState } from "../telemetry/states";
import { useText } from "../telemetry/text";
import { applyLiveEvent, chooseBoardLab, type Lab, type LabBoard } from "./board";
import { followStream } from "./sse";

const boardKey = (labId: string | undefined) => ["labs", labId, "board"] as const;

/** The lab's instruments as tiles coloured by state, fed by the lab's live stream. */
export function LiveBoard({ labId }: { labId?: string }) {
  const api = useApi();
  const tx = useText();
  const fetchBoard = (id: string) => api.call<LabBoard>(`/labs/${encodeURIComponent(id)}/board`);
  const labs = useQuery({ queryKey: ["labs"], queryFn: () => api.call<Lab[]>("/labs") });
  // Without a lab in the address, look at the boards of the labs that have instruments and
  // open one with live channels rather than whichever lab sorts first.
  const instruments = useInstruments();
  const withInstruments =
    labId || !instruments.data
      ? []
      : (labs.data ?? []).filter((lab) => instruments.data.some((i) => i.lab_id === lab.id));
  const candidates = useQueries({
    queries: withInstruments.map((lab) => ({
      queryKey: boardKey(lab.id),
      queryFn: () => fetchBoard(lab.id),
    })),
  });
  const candidateBoards = new Map<string, LabBoard>();
  candidates.forEach((query, index) => {
    const lab = withInstruments[index];
    if (lab && query.data) candidateBoards.set(lab.id, query.data);
  });
  const settled =
    labs.data && (instruments.data || instruments.isError) && candidates.every((q) => !q.isPending);
  const chosen = labId ?? (settled ? chooseBoardLab(labs.data ?? [], candidateBoards) : undefined);
  const initial = useQuery({
    queryKey: boardKey(chosen),
    queryFn: () => fetchBoard(chosen ?? ""),
    enabled: Boolean(chosen),
  });
  const [board, setBoard] = useState<LabBoard | null>(null);
  const [connected, setConnected] = useState(false);
  // A newly loaded board replaces what the stream built on the previous one (set during render,
  // the way React recommends for state derived from a changed input).
  const [loaded, setLoaded] = useState<LabBoard | undefined>(undefined);
  if (initial.data !== loaded) {
    setLoaded(initial.data);
    if (initial.data) setBoard(initial.data);
  }

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
  if (settled && !chosen) return <p className="empty">{tx("board.noLabs")}</p>;
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
  const { pickName, t } = useI18n();
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
        <nav className="app-nav board-labs" aria-label={tx("board.lab")}>
          {labs.map((lab) => (
            <Link
              key={lab.id}
              to={`/board/${lab.id}`}
              className={lab.id === board.lab_id ? "active" : undefined}
              aria-current={lab.id === board.lab_id ? "page" : undefined}
            >
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
              <div style={{ color: stateColour(state) }}>{t(stateMessageId(state))}</div>
              {alarms.length > 0 && (
                <div className="alert alert-error" role="alert">
                  {tx("board.alarms", { count: alarms.length })}
                </div>
              )}
              {instrument.readings.length === 0 && <div className="muted">{tx("board.noChannels")}</div>}
              <dl className="facts">
                {instrument.readings.map((r) => (
                  <div key={r.channel_id} style={{ display: "contents" }}>
                    <dt>{pickName(r.name, r.name_en)}</dt>
                    <dd style={r.alarm ? { color: stateColour("fault"), fontWeight: 600 } : undefined}>
                      {formatMeasurement(r.value, r.unit)}
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
