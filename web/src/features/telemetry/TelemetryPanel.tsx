import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo, useState } from "react";
import { ApiError, useApi } from "../../api";
import { saveBlob } from "../../lib/saveBlob";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import {
  formatBucket,
  columnsForWidth,
  type SeriesResponse,
  type StateIntervalResponse,
  timelineSegments,
  toChartData,
} from "./series";
import { formatUnit } from "../../lib/format";
import { stateColour, stateMessageId } from "./states";
import { useText, type TextId } from "./text";

interface ChannelInfo {
  id: number;
  name: string;
  name_en: string | null;
  canonical_unit: string;
}

// uPlot is loaded with the first chart: it needs a real browser (matchMedia) and is not
// needed by any other page.
const SeriesChart = lazy(() => import("./SeriesChart"));

const RANGES = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3, "30d": 30 * 86400e3 } as const;
type RangeKey = keyof typeof RANGES;

/** History of one instrument: zoomable chart per channel, state timeline, data export. */
/** Now, rounded up to the minute, so a range's query key (and cache) is stable. */
function nowToTheMinute(): number {
  return Math.ceil(Date.now() / 60000) * 60000;
}

export function TelemetryPanel({
  instrumentId,
  channels,
}: {
  instrumentId: string;
  channels: ChannelInfo[];
}) {
  const api = useApi();
  const tx = useText();
  const { pickName, t } = useI18n();
  const [channelId, setChannelId] = useState<number | undefined>(channels[0]?.id);
  const [preset, setPreset] = useState<RangeKey>("24h");
  const [zoomed, setZoomed] = useState<{ start: number; end: number } | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  // Rounded to the minute so the query key (and cache) is stable while the page is open.
  const [now, setNow] = useState(nowToTheMinute);
  const range = zoomed ?? { start: now - RANGES[preset], end: now };
  const startIso = new Date(range.start).toISOString();
  const endIso = new Date(range.end).toISOString();
  const base = `/instruments/${encodeURIComponent(instrumentId)}`;
  const columns =
    typeof window === "undefined" ? 1000 : columnsForWidth(window.innerWidth, window.devicePixelRatio || 1);

  const series = useQuery({
    queryKey: ["telemetry", instrumentId, channelId, startIso, endIso, columns],
    queryFn: () =>
      api.call<SeriesResponse>(
        `${base}/series?${new URLSearchParams({
          channel_id: String(channelId),
          start: startIso,
          end: endIso,
          width: String(columns),
        })}`,
      ),
    enabled: channelId !== undefined,
  });
  const states = useQuery({
    queryKey: ["telemetry", instrumentId, "states", startIso, endIso],
    queryFn: () =>
      api.call<StateIntervalResponse[]>(
        `${base}/states?${new URLSearchParams({ start: startIso, end: endIso })}`,
      ),
  });
  const chartData = useMemo(() => (series.data ? toChartData(series.data) : null), [series.data]);
  const segments = timelineSegments(states.data ?? [], range.start, range.end);

  const download = async (format: "csv" | "parquet") => {
    setExportError(null);
    try {
      const { blob } = await api.download(
        `${base}/export?${new URLSearchParams({ start: startIso, end: endIso, format })}`,
      );
      saveBlob(blob, `${instrumentId}-${startIso.slice(0, 16)}.${format}`);
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      setExportError(`${tx("charts.exportFailed")} (HTTP ${status})`);
    }
  };

  return (
    <section className="card" data-testid="telemetry-panel">
      <h2>{tx("charts.title")}</h2>
      <div className="toolbar" style={{ display: "flex", flexWrap: "wrap", gap: 8, alignItems: "center" }}>
        <label>
          {tx("charts.channel")}{" "}
          <select value={channelId ?? ""} onChange={(e) => setChannelId(Number(e.target.value))}>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {pickName(c.name, c.name_en)}
                {formatUnit(c.canonical_unit) && ` (${formatUnit(c.canonical_unit)})`}
              </option>
            ))}
          </select>
        </label>{" "}
        {(Object.keys(RANGES) as RangeKey[]).map((key) => (
          <button
            key={key}
            type="button"
            className={`btn ${preset === key && !zoomed ? "btn-primary" : "btn-ghost"}`}
            onClick={() => {
              setPreset(key);
              setZoomed(null);
              setNow(nowToTheMinute());
            }}
          >
            {tx(`charts.range.${key}` as TextId)}
          </button>
        ))}{" "}
        <button type="button" className="btn btn-ghost" onClick={() => void download("csv")}>
          {tx("charts.exportCsv")}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => void download("parquet")}>
          {tx("charts.exportParquet")}
        </button>
      </div>
      {exportError && <p className="alert alert-error">{exportError}</p>}
      <p className="muted">{tx("charts.zoomHint")}</p>
      {series.isError && <ErrorNotice error={series.error} />}
      {series.data && chartData && (
        <>
          {series.data.t.length === 0 ? (
            <p className="empty">{tx("charts.noData")}</p>
          ) : (
            <Suspense fallback={<Loading />}>
              <SeriesChart
                data={chartData}
                unit={series.data.unit}
                range={range}
                labels={{
                  time: tx("charts.time"),
                  mean: tx("charts.mean"),
                  min: tx("charts.min"),
                  max: tx("charts.max"),
                }}
                onZoom={(from, to) =>
                  setZoomed({ start: Math.floor(from * 1000), end: Math.ceil(to * 1000) })
                }
                onReset={() => setZoomed(null)}
              />
            </Suspense>
          )}
          <p className="muted">
            {tx("charts.bucket", {
              width: formatBucket(series.data.bucket_seconds),
              source:
                series.data.source === "raw" || series.data.source === "rollup"
                  ? tx(`charts.source.${series.data.source}`)
                  : series.data.source,
            })}
          </p>
        </>
      )}
      <h3>{tx("charts.timeline")}</h3>
      <div
        className="state-timeline"
        data-testid="state-timeline"
        style={{ position: "relative", height: 18, background: "#eaeef2", borderRadius: 4 }}
      >
        {segments.map((segment, index) => (
          <div
            key={index}
            title={t(stateMessageId(segment.state))}
            data-state={segment.state}
            style={{
              position: "absolute",
              top: 0,
              bottom: 0,
              left: `${segment.left * 100}%`,
              width: `${segment.width * 100}%`,
              background: stateColour(segment.state),
            }}
          />
        ))}
      </div>
    </section>
  );
}
