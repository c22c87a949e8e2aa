import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { saveBlob } from "../../lib/saveBlob";
import type {
  Check,
  CoverageResponse,
  Level,
  MetricsResponse,
  MonthHours,
  ReconciliationResponse,
} from "./api";
import { type TextId, useText } from "./text";

const LEVELS: Level[] = ["institution", "city", "lab", "instrument", "province"];
const pct = (value: number | null) => (value === null ? "—" : `${(value * 100).toFixed(1)}%`);
const hours = (value: number) => value.toFixed(1);
const STATE_COLOURS: Record<string, string> = {
  running: "#389e0d",
  idle: "#d4b106",
  off: "#8c8c8c",
  fault: "#cf1322",
  offline: "#d9d9d9",
};

/** The regulator's console: metrics per level, ranking, trend, coverage and reconciliation flags. */
export function EvaluationPage() {
  const api = useApi();
  const tx = useText();
  const thisYear = new Date().getFullYear();
  const [year, setYear] = useState(thisYear);
  const [level, setLevel] = useState<Level>("institution");
  const metrics = useQuery({
    queryKey: ["evaluation", "metrics", year, level],
    queryFn: () => api.call<MetricsResponse>(`/evaluation/metrics?year=${year}&level=${level}`),
  });
  const trend = useQuery({
    queryKey: ["evaluation", "trend", year],
    queryFn: () => api.call<MonthHours[]>(`/evaluation/trend?year=${year}`),
  });
  const coverage = useQuery({
    queryKey: ["evaluation", "coverage", year],
    queryFn: () => api.call<CoverageResponse>(`/evaluation/coverage?year=${year}`),
  });
  const flags = useQuery({
    queryKey: ["evaluation", "flags", year],
    queryFn: () =>
      api.call<ReconciliationResponse>(`/evaluation/reconciliation?year=${year}&flagged_only=true`),
  });
  const download = async (kind: "xlsx" | "pdf") => {
    const { blob, filename } = await api.download(`/evaluation/report.${kind}?year=${year}`);
    saveBlob(blob, filename ?? `evaluation-${year}.${kind}`);
  };
  if (metrics.isPending) return <Loading />;
  if (metrics.isError) return <ErrorNotice error={metrics.error} />;
  const reference = metrics.data.national_reference.effective_hours ?? {};
  const referenceYear = Math.max(
    ...Object.keys(reference)
      .map(Number)
      .filter((y) => y <= year),
    2019,
  );
  const referenceHours = reference[String(referenceYear)] ?? 1440;
  return (
    <section data-testid="evaluation">
      <h1>{tx("evaluation.title")}</h1>
      <div className="toolbar">
        <label>
          {tx("evaluation.year")}{" "}
          <select value={year} onChange={(e) => setYear(Number(e.target.value))}>
            {[thisYear, thisYear - 1, thisYear - 2].map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </select>
        </label>{" "}
        <label>
          {tx("evaluation.level")}{" "}
          <select value={level} onChange={(e) => setLevel(e.target.value as Level)}>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {tx(`evaluation.level.${l}` as TextId)}
              </option>
            ))}
          </select>
        </label>{" "}
        <button type="button" onClick={() => void download("xlsx")}>
          {tx("evaluation.xlsx")}
        </button>{" "}
        <button type="button" onClick={() => void download("pdf")}>
          {tx("evaluation.pdf")}
        </button>
      </div>
      {coverage.data && (
        <p>
          {tx("evaluation.coverage", {
            share: pct(coverage.data.share),
            with: coverage.data.with_sensor,
            listed: coverage.data.listed,
            late: coverage.data.late,
            overdue: coverage.data.overdue,
          })}
        </p>
      )}
      <table className="table" data-testid="evaluation-metrics">
        <thead>
          <tr>
            <th>{tx("evaluation.name")}</th>
            <th>{tx("evaluation.instruments")}</th>
            <th>{tx("evaluation.effective")}</th>
            <th>{tx("evaluation.declared")}</th>
            <th>{tx("evaluation.external")}</th>
            <th>{tx("evaluation.sharingRate")}</th>
            <th>{tx("evaluation.utilisation")}</th>
            <th>{tx("evaluation.records")}</th>
            <th>{tx("evaluation.enterprises")}</th>
            <th>{tx("evaluation.fees")}</th>
            <th>{tx("evaluation.rating")}</th>
          </tr>
        </thead>
        <tbody>
          {metrics.data.rows.map((r) => {
            const below = (r.average_effective_hours ?? 0) < referenceHours;
            return (
              <tr
                key={r.key}
                title={below ? tx("evaluation.belowReference", { hours: referenceHours }) : undefined}
              >
                <td style={{ color: below ? "#cf1322" : undefined }}>{r.name}</td>
                <td>{r.instruments}</td>
                <td>{hours(r.effective_hours)}</td>
                <td>{hours(r.declared_hours)}</td>
                <td>{hours(r.external_service_hours)}</td>
                <td>{pct(r.sharing_rate)}</td>
                <td>{pct(r.utilisation)}</td>
                <td>{r.service_records}</td>
                <td>{r.enterprises}</td>
                <td>{r.fees}</td>
                <td>{r.average_rating ?? "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>{tx("evaluation.ranking")}</h2>
      <Bars
        items={metrics.data.rows.slice(0, 15).map((r) => ({ label: r.name, value: r.effective_hours }))}
      />
      <h2>{tx("evaluation.trend")}</h2>
      {trend.data && (
        <Bars
          items={trend.data.map((m) => ({
            label: `${m.month}`,
            value: m.effective_hours,
            second: m.external_service_hours,
          }))}
        />
      )}
      <h2>{tx("evaluation.flags")}</h2>
      {flags.isError && <ErrorNotice error={flags.error} />}
      {flags.data && <Flags checks={flags.data.checks} />}
    </section>
  );
}

/** A horizontal bar per item (SVG, no chart library): the value and, lighter, a second one. */
function Bars({ items }: { items: { label: string; value: number; second?: number }[] }) {
  const max = Math.max(1, ...items.map((i) => Math.max(i.value, i.second ?? 0)));
  const row = 20;
  return (
    <svg
      width="100%"
      height={items.length * row + 4}
      viewBox={`0 0 640 ${items.length * row + 4}`}
      role="img"
    >
      {items.map((item, n) => (
        <g key={`${item.label}-${n}`} transform={`translate(0, ${n * row})`}>
          <text x={0} y={14} fontSize={12}>
            {item.label.slice(0, 14)}
          </text>
          <rect x={180} y={3} height={14} width={(400 * item.value) / max} fill="#4472c4" />
          {item.second !== undefined && (
            <rect x={180} y={9} height={8} width={(400 * item.second) / max} fill="#ed7d31" />
          )}
          <text x={186 + (400 * item.value) / max} y={14} fontSize={11}>
            {item.value.toFixed(0)}
          </text>
        </g>
      ))}
    </svg>
  );
}

function Flags({ checks }: { checks: Check[] }) {
  const tx = useText();
  const [open, setOpen] = useState<string | null>(null);
  if (checks.length === 0) return <p className="empty">{tx("evaluation.noFlags")}</p>;
  return (
    <table className="table" data-testid="evaluation-flags">
      <thead>
        <tr>
          <th>{tx("evaluation.level.instrument")}</th>
          <th>{tx("evaluation.level.institution")}</th>
          <th>{tx("evaluation.customer")}</th>
          <th>{tx("evaluation.start")}</th>
          <th>{tx("evaluation.claimed")}</th>
          <th>{tx("evaluation.measured")}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {checks.map((c) => (
          <tr
            key={c.booking_id}
            onClick={() => setOpen(open === c.booking_id ? null : c.booking_id)}
            style={{ cursor: "pointer" }}
          >
            <td>{c.instrument_name}</td>
            <td>{c.organisation_name}</td>
            <td>{c.customer}</td>
            <td>{formatShanghaiTime(c.window_start)}</td>
            <td>{c.claimed_minutes}</td>
            <td>{c.measured_minutes}</td>
            <td>
              {tx(`evaluation.flag.${c.flag}` as TextId)}
              {open === c.booking_id && c.evidence && (
                <div>
                  {tx("evaluation.timeline")}:{" "}
                  {c.evidence.timeline.map((t) => (
                    <span key={t.start_at} style={{ color: STATE_COLOURS[t.state] }}>
                      {t.state} {formatShanghaiTime(t.start_at)}–{formatShanghaiTime(t.end_at)}{" "}
                    </span>
                  ))}
                </div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
