import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, Col, DatePicker, Drawer, Empty, Row, Select, Space, Table, Tag } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { saveBlob } from "../../lib/saveBlob";
import { useCurrentUser } from "../auth";
import type {
  Check,
  CoverageResponse,
  Level,
  MetricRow,
  MetricsResponse,
  MonthHours,
  ReconciliationResponse,
  TimelinePiece,
} from "./api";
import { type TextId, useText } from "./text";

const LEVELS: Level[] = ["institution", "city", "lab", "instrument", "province"];
const STATES = ["running", "idle", "off", "fault", "offline"] as const;
const STATE_COLOURS: Record<string, string> = {
  running: "#389e0d",
  idle: "#d4b106",
  off: "#8c8c8c",
  fault: "#cf1322",
  offline: "#d9d9d9",
};
const pct = (value: number | null) => (value === null ? "—" : `${(value * 100).toFixed(1)}%`);
const hours = (value: number | null) => (value === null ? "—" : value.toFixed(1));

interface Timeline {
  timeline: TimelinePiece[];
  readings: { channel: string; unit: string; samples: number; min: number | null; max: number | null }[];
}

/** The national reference (hours per instrument and year) in force for ``year``. */
function reference(data: MetricsResponse, key: string, year: number, fallback: number) {
  const table = data.national_reference[key] ?? {};
  const years = Object.keys(table)
    .map(Number)
    .filter((y) => y <= year);
  const at = years.length ? Math.max(...years) : Math.min(...Object.keys(table).map(Number));
  return { year: at, hours: table[String(at)] ?? fallback };
}

function useMetrics(year: number, level: Level, organisation: string | null) {
  const api = useApi();
  const scope = organisation ? `&organisation_id=${organisation}` : "";
  return useQuery({
    queryKey: ["evaluation", "metrics", year, level, organisation],
    queryFn: () => api.call<MetricsResponse>(`/evaluation/metrics?year=${year}&level=${level}${scope}`),
  });
}

/**
 * The regulator's console: institutions ranked against the national line, the monthly trend,
 * cities, instruments below the reference, reconciliation flags and, for any instrument, its
 * state timeline. The platform admin sees the province or one institution; an institution's
 * staff see their own institution (the server scopes every query).
 */
export function EvaluationPage() {
  const api = useApi();
  const tx = useText();
  const me = useCurrentUser();
  const admin = me.data?.role === "platform_admin";
  const thisYear = Number(
    new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" }).format(),
  );
  const [year, setYear] = useState(thisYear);
  const [picked, setPicked] = useState<string | null>(null);
  const [level, setLevel] = useState<Level>("institution");
  const [drill, setDrill] = useState<{ id: string; name: string; day?: string } | null>(null);
  const organisation = admin ? picked : null;
  const scope = organisation ? `&organisation_id=${organisation}` : "";

  const province = useMetrics(year, "institution", null);
  const institutions = useMetrics(year, "institution", organisation);
  const cities = useMetrics(year, "city", organisation);
  const instruments = useMetrics(year, "instrument", organisation);
  const details = useMetrics(year, level, organisation);
  const trend = useQuery({
    queryKey: ["evaluation", "trend", year, organisation],
    queryFn: () => api.call<MonthHours[]>(`/evaluation/trend?year=${year}${scope}`),
  });
  const coverage = useQuery({
    queryKey: ["evaluation", "coverage", year, organisation],
    queryFn: () => api.call<CoverageResponse>(`/evaluation/coverage?year=${year}${scope}`),
  });
  const flags = useQuery({
    queryKey: ["evaluation", "flags", year, organisation],
    queryFn: () =>
      api.call<ReconciliationResponse>(`/evaluation/reconciliation?year=${year}&flagged_only=true${scope}`),
  });
  const download = async (kind: "xlsx" | "pdf") => {
    const { blob, filename } = await api.download(`/evaluation/report.${kind}?year=${year}${scope}`);
    saveBlob(blob, filename ?? `evaluation-${year}.${kind}`);
  };

  if (institutions.isPending) return <Loading />;
  if (institutions.isError) return <ErrorNotice error={institutions.error} />;
  const effectiveRef = reference(institutions.data, "effective_hours", year, 1440);
  const externalRef = reference(institutions.data, "external_service_hours", year, 240);
  const scoped = !admin || organisation !== null;
  const ranking: MetricRow[] = scoped
    ? (instruments.data?.rows ?? []).slice(0, 15)
    : [...institutions.data.rows].sort(
        (a, b) => (b.average_effective_hours ?? 0) - (a.average_effective_hours ?? 0),
      );

  return (
    <section data-testid="evaluation" className="evaluation">
      <h1>{tx("evaluation.title")}</h1>
      <Space wrap size="middle" style={{ marginBottom: 12 }}>
        <label>
          {tx("evaluation.year")}{" "}
          <Select
            aria-label={tx("evaluation.year")}
            value={year}
            onChange={setYear}
            options={[thisYear, thisYear - 1, thisYear - 2].map((y) => ({ value: y, label: String(y) }))}
          />
        </label>
        {admin && (
          <label>
            {tx("evaluation.scope")}{" "}
            <Select
              showSearch
              data-testid="evaluation-scope"
              aria-label={tx("evaluation.scope")}
              style={{ minWidth: 240 }}
              value={picked ?? ""}
              onChange={(value: string) => setPicked(value || null)}
              optionFilterProp="label"
              options={[
                { value: "", label: tx("evaluation.scope.province") },
                ...(province.data?.rows ?? []).map((r) => ({ value: r.key, label: r.name })),
              ]}
            />
          </label>
        )}
        <Button onClick={() => void download("xlsx")}>{tx("evaluation.xlsx")}</Button>
        <Button onClick={() => void download("pdf")}>{tx("evaluation.pdf")}</Button>
      </Space>
      {coverage.data && (
        <Alert
          type="info"
          style={{ marginBottom: 12 }}
          title={tx("evaluation.coverage", {
            share: pct(coverage.data.share),
            with: coverage.data.with_sensor,
            listed: coverage.data.listed,
            late: coverage.data.late,
            overdue: coverage.data.overdue,
          })}
        />
      )}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card
            size="small"
            title={scoped ? tx("evaluation.rankingInstruments") : tx("evaluation.rankingInstitutions")}
          >
            <RankingChart
              rows={ranking}
              value={(r) => (scoped ? r.effective_hours : (r.average_effective_hours ?? 0))}
              line={scoped ? null : effectiveRef.hours}
              lineLabel={tx("evaluation.referenceLine", {
                hours: effectiveRef.hours,
                year: effectiveRef.year,
              })}
              onPick={scoped ? (r) => setDrill({ id: r.key, name: r.name }) : (r) => setPicked(r.key)}
              pickable={scoped || admin}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={tx("evaluation.trend")}>
            {trend.isError && <ErrorNotice error={trend.error} />}
            {trend.data && <TrendChart months={trend.data} />}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={tx("evaluation.byCity")}>
            {cities.isError && <ErrorNotice error={cities.error} />}
            <CityTable rows={cities.data?.rows ?? []} loading={cities.isPending} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={tx("evaluation.below")}>
            <p className="muted">
              {tx("evaluation.belowHint", {
                effective: effectiveRef.hours,
                external: externalRef.hours,
                year: effectiveRef.year,
              })}
            </p>
            {instruments.isError && <ErrorNotice error={instruments.error} />}
            <BelowTable
              rows={(instruments.data?.rows ?? []).filter(
                (r) => r.effective_hours < effectiveRef.hours || r.external_service_hours < externalRef.hours,
              )}
              effective={effectiveRef.hours}
              external={externalRef.hours}
              loading={instruments.isPending}
              onDrill={(r) => setDrill({ id: r.key, name: r.name })}
            />
          </Card>
        </Col>
        <Col span={24}>
          <Card size="small" title={tx("evaluation.flags")}>
            {flags.isError && <ErrorNotice error={flags.error} />}
            {flags.data && (
              <Flags
                checks={flags.data.checks}
                onDrill={(c) =>
                  setDrill({ id: c.instrument_id, name: c.instrument_name, day: c.window_start })
                }
              />
            )}
          </Card>
        </Col>
        <Col span={24}>
          <Card
            size="small"
            title={tx("evaluation.details")}
            extra={
              <Select
                aria-label={tx("evaluation.level")}
                value={level}
                onChange={setLevel}
                options={LEVELS.map((l) => ({ value: l, label: tx(`evaluation.level.${l}` as TextId) }))}
              />
            }
          >
            {details.isError && <ErrorNotice error={details.error} />}
            <MetricsTable
              rows={details.data?.rows ?? []}
              loading={details.isPending}
              reference={effectiveRef.hours}
            />
          </Card>
        </Col>
      </Row>
      {drill && (
        <TimelineDrawer instrument={drill} year={year} onClose={() => setDrill(null)} key={drill.id} />
      )}
    </section>
  );
}

/** Horizontal bars (SVG, no chart library), with an optional vertical reference line. */
function RankingChart({
  rows,
  value,
  line,
  lineLabel,
  onPick,
  pickable,
}: {
  rows: MetricRow[];
  value: (row: MetricRow) => number;
  line: number | null;
  lineLabel: string;
  onPick: (row: MetricRow) => void;
  pickable: boolean;
}) {
  if (rows.length === 0) return <Empty />;
  const max = Math.max(1, line ?? 0, ...rows.map(value)) * 1.08;
  const rowHeight = 24;
  const left = 150;
  const width = 420;
  const top = line === null ? 4 : 22;
  const x = (v: number) => left + (width * v) / max;
  return (
    <svg
      width="100%"
      viewBox={`0 0 ${left + width + 60} ${top + rows.length * rowHeight + 4}`}
      role="img"
      aria-label={lineLabel}
      data-testid="evaluation-ranking"
    >
      {rows.map((row, n) => {
        const v = value(row);
        const below = line !== null && v < line;
        return (
          <g
            key={row.key}
            transform={`translate(0, ${top + n * rowHeight})`}
            onClick={pickable ? () => onPick(row) : undefined}
            style={pickable ? { cursor: "pointer" } : undefined}
          >
            <title>{`${row.name}: ${v.toFixed(1)} h`}</title>
            <text x={left - 6} y={16} fontSize={12} textAnchor="end">
              {row.name.length > 12 ? `${row.name.slice(0, 11)}…` : row.name}
            </text>
            <rect
              x={left}
              y={4}
              height={15}
              width={Math.max(1, x(v) - left)}
              fill={below ? "#ff7a45" : "#4472c4"}
            />
            <text x={x(v) + 4} y={16} fontSize={11}>
              {v.toFixed(0)}
            </text>
          </g>
        );
      })}
      {line !== null && (
        <g>
          <line
            x1={x(line)}
            x2={x(line)}
            y1={top - 4}
            y2={top + rows.length * rowHeight}
            stroke="#cf1322"
            strokeDasharray="4 3"
          />
          <text
            x={Math.min(x(line), left + width - 40)}
            y={12}
            fontSize={11}
            fill="#cf1322"
            textAnchor="middle"
          >
            {lineLabel}
          </text>
        </g>
      )}
    </svg>
  );
}

/** Twelve months of effective and external hours as paired columns. */
function TrendChart({ months }: { months: MonthHours[] }) {
  const tx = useText();
  const max = Math.max(1, ...months.map((m) => Math.max(m.effective_hours, m.external_service_hours))) * 1.1;
  const height = 180;
  const slot = 48;
  const y = (v: number) => 20 + height - (height * v) / max;
  return (
    <svg
      width="100%"
      viewBox={`0 0 ${months.length * slot + 20} ${height + 44}`}
      role="img"
      aria-label={tx("evaluation.trend")}
      data-testid="evaluation-trend"
    >
      <g fontSize={11}>
        <rect x={10} y={2} width={10} height={10} fill="#4472c4" />
        <text x={24} y={11}>
          {tx("evaluation.effective")}
        </text>
        <rect x={170} y={2} width={10} height={10} fill="#ed7d31" />
        <text x={184} y={11}>
          {tx("evaluation.external")}
        </text>
      </g>
      {months.map((m, n) => (
        <g key={m.month} transform={`translate(${10 + n * slot}, 0)`}>
          <title>{`${tx("evaluation.month", { month: m.month })}: ${m.effective_hours.toFixed(1)} / ${m.external_service_hours.toFixed(1)} h`}</title>
          <rect
            x={6}
            y={y(m.effective_hours)}
            width={17}
            height={20 + height - y(m.effective_hours)}
            fill="#4472c4"
          />
          <rect
            x={24}
            y={y(m.external_service_hours)}
            width={17}
            height={20 + height - y(m.external_service_hours)}
            fill="#ed7d31"
          />
          <text x={slot / 2} y={height + 36} fontSize={11} textAnchor="middle">
            {tx("evaluation.month", { month: m.month })}
          </text>
        </g>
      ))}
      <line x1={10} x2={10 + months.length * slot} y1={height + 20} y2={height + 20} stroke="#bfbfbf" />
    </svg>
  );
}

function CityTable({ rows, loading }: { rows: MetricRow[]; loading: boolean }) {
  const tx = useText();
  return (
    <Table<MetricRow>
      size="small"
      data-testid="evaluation-cities"
      rowKey="key"
      loading={loading}
      dataSource={rows}
      pagination={false}
      scroll={{ x: 560 }}
      columns={[
        { title: tx("evaluation.city"), dataIndex: "name" },
        { title: tx("evaluation.instruments"), dataIndex: "instruments", align: "right" },
        { title: tx("evaluation.effective"), dataIndex: "effective_hours", align: "right", render: hours },
        {
          title: tx("evaluation.external"),
          dataIndex: "external_service_hours",
          align: "right",
          render: hours,
        },
        {
          title: tx("evaluation.perInstrument"),
          dataIndex: "average_effective_hours",
          align: "right",
          render: hours,
        },
        { title: tx("evaluation.sharingRate"), dataIndex: "sharing_rate", align: "right", render: pct },
      ]}
    />
  );
}

function BelowTable({
  rows,
  effective,
  external,
  loading,
  onDrill,
}: {
  rows: MetricRow[];
  effective: number;
  external: number;
  loading: boolean;
  onDrill: (row: MetricRow) => void;
}) {
  const tx = useText();
  return (
    <Table<MetricRow>
      size="small"
      data-testid="evaluation-below"
      rowKey="key"
      loading={loading}
      dataSource={rows}
      pagination={{ pageSize: 8, hideOnSinglePage: true, showSizeChanger: false }}
      scroll={{ x: 560 }}
      locale={{ emptyText: tx("evaluation.belowNone") }}
      columns={[
        {
          title: tx("evaluation.level.instrument"),
          dataIndex: "name",
          render: (name: string, row) => (
            <Button type="link" size="small" onClick={() => onDrill(row)} title={tx("evaluation.drill")}>
              {name}
            </Button>
          ),
        },
        { title: tx("evaluation.effective"), dataIndex: "effective_hours", align: "right", render: hours },
        {
          title: tx("evaluation.external"),
          dataIndex: "external_service_hours",
          align: "right",
          render: hours,
        },
        {
          title: "",
          key: "why",
          render: (_: unknown, row) => (
            <Space size={4} wrap>
              {row.effective_hours < effective && <Tag color="orange">{tx("evaluation.lowEffective")}</Tag>}
              {row.external_service_hours < external && (
                <Tag color="gold">{tx("evaluation.lowExternal")}</Tag>
              )}
              {row.measured_instruments === 0 && <Tag>{tx("evaluation.noSensor")}</Tag>}
            </Space>
          ),
        },
      ]}
    />
  );
}

function MetricsTable({
  rows,
  loading,
  reference,
}: {
  rows: MetricRow[];
  loading: boolean;
  reference: number;
}) {
  const tx = useText();
  return (
    <Table<MetricRow>
      size="small"
      data-testid="evaluation-metrics"
      rowKey="key"
      loading={loading}
      dataSource={rows}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      scroll={{ x: 1100 }}
      onRow={(r) => {
        const below = (r.average_effective_hours ?? 0) < reference;
        return below ? { title: tx("evaluation.belowReference", { hours: reference }) } : {};
      }}
      columns={[
        {
          title: tx("evaluation.name"),
          dataIndex: "name",
          fixed: "left",
          render: (name: string, r) => (
            <span style={{ color: (r.average_effective_hours ?? 0) < reference ? "#cf1322" : undefined }}>
              {name}
            </span>
          ),
        },
        { title: tx("evaluation.instruments"), dataIndex: "instruments", align: "right" },
        { title: tx("evaluation.effective"), dataIndex: "effective_hours", align: "right", render: hours },
        { title: tx("evaluation.declared"), dataIndex: "declared_hours", align: "right", render: hours },
        {
          title: tx("evaluation.external"),
          dataIndex: "external_service_hours",
          align: "right",
          render: hours,
        },
        { title: tx("evaluation.sharingRate"), dataIndex: "sharing_rate", align: "right", render: pct },
        { title: tx("evaluation.utilisation"), dataIndex: "utilisation", align: "right", render: pct },
        { title: tx("evaluation.records"), dataIndex: "service_records", align: "right" },
        { title: tx("evaluation.enterprises"), dataIndex: "enterprises", align: "right" },
        { title: tx("evaluation.fees"), dataIndex: "fees", align: "right" },
        {
          title: tx("evaluation.rating"),
          dataIndex: "average_rating",
          align: "right",
          render: (v: number | null) => v ?? "—",
        },
      ]}
    />
  );
}

function Flags({ checks, onDrill }: { checks: Check[]; onDrill: (check: Check) => void }) {
  const tx = useText();
  return (
    <Table<Check>
      size="small"
      data-testid="evaluation-flags"
      rowKey="booking_id"
      dataSource={checks}
      pagination={{ pageSize: 10, hideOnSinglePage: true }}
      scroll={{ x: 860 }}
      locale={{ emptyText: tx("evaluation.noFlags") }}
      expandable={{
        expandRowByClick: true,
        rowExpandable: (c) => c.evidence !== null,
        expandedRowRender: (c) => (
          <div>
            {tx("evaluation.timeline")}:{" "}
            <StateStrip pieces={c.evidence?.timeline ?? []} from={c.window_start} to={c.window_end} />
          </div>
        ),
      }}
      columns={[
        { title: tx("evaluation.level.instrument"), dataIndex: "instrument_name" },
        { title: tx("evaluation.level.institution"), dataIndex: "organisation_name" },
        { title: tx("evaluation.customer"), dataIndex: "customer" },
        {
          title: tx("evaluation.start"),
          dataIndex: "window_start",
          render: (v: string) => formatShanghaiTime(v),
        },
        { title: tx("evaluation.claimed"), dataIndex: "claimed_minutes", align: "right" },
        { title: tx("evaluation.measured"), dataIndex: "measured_minutes", align: "right" },
        {
          title: "",
          dataIndex: "flag",
          render: (flag: string | null) => <Tag color="red">{tx(`evaluation.flag.${flag}` as TextId)}</Tag>,
        },
        {
          title: "",
          key: "drill",
          render: (_: unknown, c) => (
            <Button
              size="small"
              onClick={(e) => {
                e.stopPropagation();
                onDrill(c);
              }}
            >
              {tx("evaluation.drill")}
            </Button>
          ),
        },
      ]}
    />
  );
}

function stateText(tx: ReturnType<typeof useText>, state: string): string {
  return (STATES as readonly string[]).includes(state) ? tx(`evaluation.state.${state}` as TextId) : "—";
}

/** The states of a period as one coloured strip, with a legend in words. */
function StateStrip({ pieces, from, to }: { pieces: TimelinePiece[]; from: string; to: string }) {
  const tx = useText();
  const start = Date.parse(from);
  const span = Math.max(1, Date.parse(to) - start);
  return (
    <div data-testid="state-strip">
      <svg width="100%" height={22} viewBox="0 0 1000 22" preserveAspectRatio="none" role="img">
        <rect x={0} y={2} width={1000} height={18} fill="#f5f5f5" />
        {pieces.map((p) => (
          <rect
            key={p.start_at}
            x={(1000 * (Date.parse(p.start_at) - start)) / span}
            y={2}
            width={Math.max(0.5, (1000 * (Date.parse(p.end_at) - Date.parse(p.start_at))) / span)}
            height={18}
            fill={STATE_COLOURS[p.state] ?? "#d9d9d9"}
          >
            <title>{`${stateText(tx, p.state)} ${formatShanghaiTime(p.start_at)}–${formatShanghaiTime(p.end_at)}`}</title>
          </rect>
        ))}
      </svg>
      <Space size={12} wrap>
        {STATES.map((s) => (
          <span key={s}>
            <span className="legend-swatch" style={{ background: STATE_COLOURS[s] }} /> {stateText(tx, s)}
          </span>
        ))}
      </Space>
    </div>
  );
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60000);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

/** Drill-down: one instrument's state timeline for a chosen period (at most 31 days). */
function TimelineDrawer({
  instrument,
  year,
  onClose,
}: {
  instrument: { id: string; name: string; day?: string };
  year: number;
  onClose: () => void;
}) {
  const api = useApi();
  const tx = useText();
  const initialEnd = instrument.day
    ? dayjs(instrument.day).tz("Asia/Shanghai").startOf("day").add(1, "day")
    : dayjs.tz(`${Math.min(year, dayjs().year())}-12-31`, "Asia/Shanghai").add(1, "day");
  const lastDay = dayjs().tz("Asia/Shanghai").startOf("day").add(1, "day");
  const end0 = initialEnd.isAfter(lastDay) ? lastDay : initialEnd;
  const [range, setRange] = useState<[Dayjs, Dayjs]>([end0.subtract(instrument.day ? 1 : 7, "day"), end0]);
  const [from, to] = range;
  const timeline = useQuery({
    queryKey: ["evaluation", "timeline", instrument.id, from.toISOString(), to.toISOString()],
    queryFn: () =>
      api.call<Timeline>(
        `/evaluation/instruments/${instrument.id}/timeline?start=${encodeURIComponent(
          from.format(),
        )}&end=${encodeURIComponent(to.format())}`,
      ),
  });
  const totals = new Map<string, number>();
  for (const p of timeline.data?.timeline ?? []) {
    totals.set(p.state, (totals.get(p.state) ?? 0) + Date.parse(p.end_at) - Date.parse(p.start_at));
  }
  return (
    <Drawer
      open
      size={720}
      onClose={onClose}
      title={tx("evaluation.drillTitle", { name: instrument.name })}
      data-testid="evaluation-timeline"
      styles={{ wrapper: { maxWidth: "100vw" } }}
    >
      <Space orientation="vertical" style={{ width: "100%" }} size="middle">
        <label>
          {tx("evaluation.drillPeriod")}{" "}
          <DatePicker.RangePicker
            allowClear={false}
            value={[from, to.subtract(1, "day")]}
            disabledDate={(d) => d.isAfter(lastDay)}
            onChange={(values) => {
              if (!values?.[0] || !values[1]) return;
              const start = values[0].tz("Asia/Shanghai", true).startOf("day");
              let stop = values[1].tz("Asia/Shanghai", true).startOf("day").add(1, "day");
              if (stop.diff(start, "day") > 31) stop = start.add(31, "day");
              setRange([start, stop]);
            }}
          />
        </label>
        {timeline.isPending && <Loading />}
        {timeline.isError && <ErrorNotice error={timeline.error} />}
        {timeline.data &&
          (timeline.data.timeline.length === 0 ? (
            <Empty description={tx("evaluation.drillEmpty")} />
          ) : (
            <>
              <StateStrip pieces={timeline.data.timeline} from={from.toISOString()} to={to.toISOString()} />
              <Table
                size="small"
                rowKey="state"
                pagination={false}
                dataSource={[...totals.entries()].map(([state, ms]) => ({ state, ms }))}
                columns={[
                  {
                    title: tx("evaluation.state"),
                    dataIndex: "state",
                    render: (s: string) => stateText(tx, s),
                  },
                  { title: tx("evaluation.duration"), dataIndex: "ms", align: "right", render: duration },
                ]}
              />
              <Table
                size="small"
                rowKey={(p: TimelinePiece) => p.start_at}
                pagination={{ pageSize: 10, hideOnSinglePage: true, showSizeChanger: false }}
                dataSource={timeline.data.timeline}
                columns={[
                  {
                    title: tx("evaluation.state"),
                    dataIndex: "state",
                    render: (s: string) => <Tag color={STATE_COLOURS[s]}>{stateText(tx, s)}</Tag>,
                  },
                  {
                    title: tx("evaluation.start"),
                    dataIndex: "start_at",
                    render: (v: string) => formatShanghaiTime(v),
                  },
                  {
                    title: tx("evaluation.duration"),
                    key: "d",
                    align: "right",
                    render: (_: unknown, p: TimelinePiece) =>
                      duration(Date.parse(p.end_at) - Date.parse(p.start_at)),
                  },
                ]}
              />
            </>
          ))}
        {timeline.data && timeline.data.readings.length > 0 && (
          <Table
            size="small"
            rowKey="channel"
            pagination={false}
            title={() => tx("evaluation.readings")}
            dataSource={timeline.data.readings}
            columns={[
              { title: tx("evaluation.channel"), dataIndex: "channel" },
              { title: tx("evaluation.samples"), dataIndex: "samples", align: "right" },
              {
                title: tx("evaluation.min"),
                dataIndex: "min",
                align: "right",
                render: (v: number | null) => v ?? "—",
              },
              {
                title: tx("evaluation.max"),
                dataIndex: "max",
                align: "right",
                render: (v: number | null) => v ?? "—",
              },
            ]}
          />
        )}
      </Space>
    </Drawer>
  );
}
