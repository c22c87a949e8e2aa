import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { Select } from "antd";
import { useEffect, useState, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { formatMeasurement, formatShanghaiTime } from "../../lib/format";
import { useInstruments } from "../instruments/queries";
import { stateMessageId } from "../telemetry/states";
import { useText } from "../telemetry/text";
import { AcknowledgedLine, AlarmList, useAlarmText } from "./AlarmList";
import {
  applyLiveEvent,
  chooseBoardLab,
  type BoardIndexEntry,
  type BoardInstrument,
  type BoardReading,
  type InstitutionBoard,
  type Lab,
  type LabBoard,
} from "./board";
import "./board.css";
import { followStream } from "./sse";
import { StateIcon } from "./StateIcon";
import { useLiveText, type LiveTextId } from "./text";
import {
  CONDITION_COLOURS,
  isUsabilityCondition,
  sortAlarms,
  tileCondition,
  valueLabel,
  type TileCondition,
} from "./tile";

const boardKey = (labId: string | undefined) => ["labs", labId, "board"] as const;
const institutionKey = (id: string) => ["organisations", id, "board"] as const;
// Usability and alarms are not streamed: the board is read again this often.
export const BOARD_REFRESH_MS = 15_000;
export const INSTITUTION_REFRESH_MS = 5_000;

function useBoardIndex() {
  const api = useApi();
  return useQuery({
    queryKey: ["boards"],
    queryFn: async () => (await api.http.GET("/api/v1/boards")).data!,
  });
}

/** The lab's instruments as tiles coloured by what they may be used for, fed by the lab's live stream. */
export function LiveBoard({ labId }: { labId?: string }) {
  const api = useApi();
  const tx = useText();
  const queryClient = useQueryClient();
  const fetchBoard = (id: string) => api.call<LabBoard>(`/labs/${encodeURIComponent(id)}/board`);
  const labs = useQuery({ queryKey: ["labs"], queryFn: () => api.call<Lab[]>("/labs") });
  const index = useBoardIndex();
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
    refetchInterval: BOARD_REFRESH_MS,
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
  const streaming = Boolean(chosen && initial.data);

  useEffect(() => {
    if (!chosen || !streaming) return;
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
  }, [api, chosen, streaming]);

  if (labs.isError) return <ErrorNotice error={labs.error} />;
  if (initial.isError) return <ErrorNotice error={initial.error} />;
  if (settled && !chosen) return <p className="empty">{tx("board.noLabs")}</p>;
  if (!board) return <Loading />;
  const organisation = (index.data ?? []).find((entry) => entry.labs.some((lab) => lab.id === board.lab_id));
  return (
    <BoardView
      board={board}
      connected={connected}
      title={tx("board.title")}
      nav={
        <BoardNav
          index={index.data ?? []}
          organisationId={organisation?.organisation_id}
          labId={board.lab_id}
        />
      }
      onChanged={() => void queryClient.invalidateQueries({ queryKey: boardKey(chosen) })}
    />
  );
}

/** Every lab of one institution on one page (platform admins pick the institution). */
export function InstitutionBoardPage({ organisationId }: { organisationId: string }) {
  const api = useApi();
  const tx = useLiveText();
  const { pickName } = useI18n();
  const queryClient = useQueryClient();
  const index = useBoardIndex();
  const board = useQuery({
    queryKey: institutionKey(organisationId),
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/organisations/{organisation_id}/board", {
          params: { path: { organisation_id: organisationId } },
        })
      ).data!,
    refetchInterval: INSTITUTION_REFRESH_MS,
  });
  if (board.isError) return <ErrorNotice error={board.error} />;
  if (!board.data) return <Loading />;
  return (
    <InstitutionView
      board={board.data}
      title={tx("board.institutionTitle")}
      nav={<BoardNav index={index.data ?? []} organisationId={organisationId} />}
      onChanged={() => void queryClient.invalidateQueries({ queryKey: institutionKey(organisationId) })}
      pickName={pickName}
    />
  );
}

function InstitutionView({
  board,
  title,
  nav,
  onChanged,
  pickName,
}: {
  board: InstitutionBoard;
  title: string;
  nav: ReactNode;
  onChanged: () => void;
  pickName: (name: string, nameEn: string | null | undefined) => string;
}) {
  const txt = useText();
  const instruments = board.labs.flatMap((lab) => lab.instruments);
  return (
    <section className="live-board" data-testid="institution-board">
      <div className="detail-head">
        <h1>
          {title} · {pickName(board.name, board.name_en)}
        </h1>
      </div>
      {nav}
      <AlarmList alarms={board.alarms} instruments={instruments} onChanged={onChanged} />
      {board.labs.map((lab) => (
        <section key={lab.lab_id} className="board-lab" data-testid="institution-lab">
          <h2>
            <Link to={`/board/${lab.lab_id}`}>{pickName(lab.name, lab.name_en)}</Link>
          </h2>
          {lab.instruments.length === 0 && <p className="empty">{txt("board.empty")}</p>}
          <TileGrid board={lab} />
        </section>
      ))}
    </section>
  );
}

/** Institution picker (when the user sees more than one), then the institution's labs. */
export function BoardNav({
  index,
  organisationId,
  labId,
}: {
  index: readonly BoardIndexEntry[];
  organisationId?: string;
  labId?: string;
}) {
  const tx = useLiveText();
  const txt = useText();
  const { pickName } = useI18n();
  const navigate = useNavigate();
  const current = index.find((entry) => entry.organisation_id === organisationId);
  return (
    <div className="board-nav">
      {index.length > 1 && (
        <label className="board-institution">
          <span>{tx("board.institution")}</span>
          <Select
            data-testid="board-institution"
            aria-label={tx("board.institution")}
            value={organisationId}
            style={{ minWidth: 220 }}
            options={index.map((entry) => ({
              value: entry.organisation_id,
              label: pickName(entry.name, entry.name_en),
            }))}
            onChange={(value: string) => void navigate(`/board?institution=${encodeURIComponent(value)}`)}
          />
        </label>
      )}
      {current && (
        <nav className="app-nav board-labs" aria-label={txt("board.lab")}>
          <Link
            to={`/board?institution=${encodeURIComponent(current.organisation_id)}`}
            className={labId ? undefined : "active"}
            aria-current={labId ? undefined : "page"}
          >
            {tx("board.allLabs")}
          </Link>
          {current.labs.map((lab) => (
            <Link
              key={lab.id}
              to={`/board/${lab.id}`}
              className={lab.id === labId ? "active" : undefined}
              aria-current={lab.id === labId ? "page" : undefined}
            >
              {pickName(lab.name, lab.name_en)}
            </Link>
          ))}
        </nav>
      )}
    </div>
  );
}

export function BoardView({
  board,
  connected,
  title,
  nav,
  onChanged = () => undefined,
}: {
  board: LabBoard;
  connected: boolean;
  title: string;
  nav?: ReactNode;
  onChanged?: () => void;
}) {
  const { pickName } = useI18n();
  const tx = useText();
  const offline = board.gateways.filter((g) => g.status === "offline" || g.heartbeat_missing);
  return (
    <section className="live-board">
      <div className="detail-head">
        <h1>
          {title} · {pickName(board.name, board.name_en)}
        </h1>
        <span className="badge" data-testid="live-status">
          {connected ? tx("board.connected") : tx("board.reconnecting")}
        </span>
      </div>
      {nav}
      {offline.length > 0 && (
        <p className="alert alert-error" role="alert">
          {tx("board.gatewaysOffline", { keys: offline.map((g) => g.key).join(", ") })}
        </p>
      )}
      <AlarmList alarms={board.alarms} instruments={board.instruments} onChanged={onChanged} />
      {board.instruments.length === 0 && <p className="empty">{tx("board.empty")}</p>}
      <TileGrid board={board} />
    </section>
  );
}

function TileGrid({ board }: { board: LabBoard }) {
  const offlineIds = new Set(
    board.gateways.filter((g) => g.status === "offline" || g.heartbeat_missing).map((g) => g.id),
  );
  return (
    <div className="tile-grid">
      {board.instruments.map((instrument) => (
        <BoardTile
          key={instrument.id}
          instrument={instrument}
          gatewaysOffline={
            instrument.gateway_ids.length > 0 && instrument.gateway_ids.every((id) => offlineIds.has(id))
          }
        />
      ))}
    </div>
  );
}

function conditionLabel(
  condition: TileCondition,
  t: (id: ReturnType<typeof stateMessageId>) => string,
  tx: ReturnType<typeof useLiveText>,
) {
  if (
    condition === "out_of_service" ||
    condition === "calibration_expired" ||
    condition === "not_calibrated"
  ) {
    return tx(`tile.${condition}`);
  }
  return t(stateMessageId(condition));
}

const CAUSES: Record<string, LiveTextId> = {
  check_failed: "cause.check_failed",
  calibration_failed: "cause.calibration_failed",
  fault: "cause.fault",
  manual: "cause.manual",
};

/** One instrument: its condition in colour, icon and words, why, its alarms and readings. */
export function BoardTile({
  instrument,
  gatewaysOffline,
}: {
  instrument: BoardInstrument;
  gatewaysOffline: boolean;
}) {
  const { pickName, t } = useI18n();
  const tx = useLiveText();
  const txt = useText();
  const describe = useAlarmText();
  const condition = tileCondition(instrument, gatewaysOffline);
  const colour = CONDITION_COLOURS[condition];
  const usability = instrument.usability;
  const telemetryState = instrument.state ? t(stateMessageId(instrument.state)) : null;
  const outOfService = usability?.out_of_service;
  const alarms = sortAlarms(instrument.alarms);
  return (
    <article
      className="card tile board-tile"
      data-testid="board-tile"
      data-state={condition}
      style={{ borderLeft: `6px solid ${colour}` }}
    >
      <Link to={`/instruments/${instrument.id}`} className="tile-name" data-testid="board-tile-link">
        <strong>{pickName(instrument.name, instrument.name_en)}</strong>
      </Link>
      <div className="tile-condition" data-testid="tile-condition" style={{ color: colour }}>
        <StateIcon condition={condition} colour={colour} />
        <span>{conditionLabel(condition, t, tx)}</span>
      </div>
      {isUsabilityCondition(condition) && (
        <div className="tile-why" data-testid="tile-why">
          {outOfService && (
            <div>
              {tx(CAUSES[outOfService.cause] ?? "cause.other")}
              {" · "}
              {tx("tile.since", { time: formatShanghaiTime(outOfService.since) })}
            </div>
          )}
          {!outOfService && condition === "calibration_expired" && usability?.calibration_valid_to && (
            <div>{tx("tile.expiredOn", { time: formatShanghaiTime(usability.calibration_valid_to) })}</div>
          )}
          {!outOfService && condition === "not_calibrated" && <div>{tx("tile.noCertificate")}</div>}
          {telemetryState && <div className="muted">{tx("tile.reports", { state: telemetryState })}</div>}
        </div>
      )}
      {alarms.length > 0 && (
        <ul className="tile-alarms" data-testid="tile-alarms">
          {alarms.map((alarm) => (
            <li
              key={`${alarm.kind}:${alarm.subject}`}
              data-kind={alarm.kind}
              className={alarm.acknowledged ? "acknowledged" : undefined}
            >
              <span role={alarm.acknowledged ? undefined : "alert"}>{describe(alarm, [instrument])}</span>
              <AcknowledgedLine alarm={alarm} />
            </li>
          ))}
        </ul>
      )}
      {instrument.readings.length === 0 && <div className="muted">{txt("board.noChannels")}</div>}
      <dl className="facts">
        {instrument.readings.map((r) => (
          <div key={r.channel_id} style={{ display: "contents" }}>
            <dt>{pickName(r.name, r.name_en)}</dt>
            <dd
              data-testid={`reading-${r.point_key}`}
              style={r.alarm ? { color: CONDITION_COLOURS.fault, fontWeight: 600 } : undefined}
            >
              <ReadingValue reading={r} />
            </dd>
          </div>
        ))}
      </dl>
    </article>
  );
}

/** A measured value with its unit, or a status register's value in words. */
export function ReadingValue({ reading }: { reading: BoardReading }) {
  const { pickName, otherName, t } = useI18n();
  const tx = useLiveText();
  if (!reading.value_labels || reading.value === null)
    return <>{formatMeasurement(reading.value, reading.unit)}</>;
  const label = valueLabel(reading);
  if (!label) return <span className="muted">{tx("value.unmapped", { value: reading.value })}</span>;
  if (label.name) {
    const other = otherName(label.name, label.name_en);
    return (
      <span data-value={reading.value}>
        {pickName(label.name, label.name_en)}
        {other && <span className="muted"> {other}</span>}
      </span>
    );
  }
  return <span data-value={reading.value}>{t(stateMessageId(label.state))}</span>;
}
