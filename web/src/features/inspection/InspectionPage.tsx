import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Input } from "antd";
import type { Rule } from "antd/es/form";
import dayjs from "dayjs";
import { useMemo, useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { DayPicker } from "../../components/MinutePicker";
import { formatShanghaiTime } from "../../lib/format";
import { pickedDay } from "../calibration";
import type { Alarm, CapabilityResponse, Characteristic, ChartResponse } from "./api";
import { chartLines, chartPageQuery, parseExclusions, periodQuery } from "./chart";
import ControlChart from "./ControlChart";
import { hasText, type TextId, useText } from "./text";

const BASE = "/inspection";
const fmt = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined ? "—" : value.toFixed(digits);

function post(body: unknown): RequestInit {
  return { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

/** Characteristics with their capability and open alarms; the chart of the one selected. */
export function InspectionPage() {
  const api = useApi();
  const tx = useText();
  const list = useQuery({
    queryKey: ["inspection", "characteristics"],
    queryFn: () => api.call<Characteristic[]>(`${BASE}/characteristics`),
    refetchInterval: 5_000,
  });
  const alarms = useQuery({
    queryKey: ["inspection", "alarms"],
    queryFn: () => api.call<Alarm[]>(`${BASE}/alarms?limit=100`),
    refetchInterval: 5_000,
  });
  const [selected, setSelected] = useState<string | null>(null);
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorNotice error={list.error} />;
  const current = list.data.find((c) => c.id === selected) ?? list.data[0];
  return (
    <section>
      <h1>{tx("inspection.title")}</h1>
      {list.data.length === 0 ? (
        <p className="empty">{tx("inspection.empty")}</p>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="characteristics" style={{ minWidth: 720 }}>
            <thead>
              <tr>
                <th>{tx("inspection.characteristic")}</th>
                <th>{tx("inspection.spec")}</th>
                <th>{tx("inspection.chart")}</th>
                <th>{tx("inspection.points")}</th>
                <th>{tx("inspection.limitsVersion")}</th>
                <th>{tx("inspection.current")}</th>
                <th>{tx("inspection.openAlarms")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <tr
                  key={c.id}
                  onClick={() => setSelected(c.id)}
                  className={c.id === current?.id ? "selected" : undefined}
                  style={{ cursor: "pointer" }}
                >
                  <td>
                    <strong>{c.name}</strong> {c.product}/{c.key}
                  </td>
                  <td>
                    {fmt(c.lsl, 4)} … {fmt(c.usl, 4)} {c.unit}
                  </td>
                  <td>{tx(`inspection.chart.${c.chart}`)}</td>
                  <td>{c.points}</td>
                  <td>{c.limits_version ?? tx("inspection.noLimits")}</td>
                  <td title={tx("inspection.currentHint", { count: c.current_n })}>
                    {fmt(c.current_cpk, 2)} / {fmt(c.current_ppk, 2)}
                  </td>
                  <td style={{ color: c.open_alarms ? "#cf1322" : undefined }}>{c.open_alarms}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {current && <CharacteristicView characteristic={current} />}
      <AlarmList alarms={alarms.data ?? []} characteristics={list.data} />
    </section>
  );
}

/** Phase I: the points left out of the selected baseline, and why. */
interface FreezeValues {
  excluded?: string;
  reason?: string;
}

function CharacteristicView({ characteristic }: { characteristic: Characteristic }) {
  const api = useApi();
  const tx = useText();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const chart = useQuery({
    queryKey: ["inspection", "chart", characteristic.id],
    // The newest points: a long chart's first page would never show what arrives now.
    queryFn: () =>
      api.call<ChartResponse>(
        `${BASE}/characteristics/${characteristic.id}/chart${chartPageQuery(characteristic.points)}`,
      ),
    refetchInterval: 5_000,
  });
  const [period, setPeriod] = useState({ from: "", to: "" });
  const capability = useQuery({
    queryKey: ["inspection", "capability", characteristic.id, period.from, period.to],
    queryFn: () =>
      api.call<CapabilityResponse>(
        `${BASE}/characteristics/${characteristic.id}/capability${periodQuery(period.from, period.to)}`,
      ),
    refetchInterval: 15_000,
    retry: false,
  });
  const [baseline, setBaseline] = useState<{ first: number; last: number } | null>(null);
  const [freezeForm] = Form.useForm<FreezeValues>();
  const excluded = Form.useWatch("excluded", freezeForm) ?? "";
  const freeze = useMutation({
    mutationFn: (body: unknown) =>
      api.call(`${BASE}/characteristics/${characteristic.id}/limits`, post(body)),
    onSuccess: () => {
      setBaseline(null);
      freezeForm.resetFields();
      void message.success(tx("inspection.frozen"));
      void queries.invalidateQueries({ queryKey: ["inspection"] });
    },
  });
  const lines = useMemo(
    () => (chart.data ? chartLines(chart.data.limits, chart.data.lsl, chart.data.usl) : null),
    [chart.data],
  );
  const outOfSpecText = tx("inspection.outOfSpecPoint");
  const labels = useMemo(
    () => ({
      position: "#",
      value: characteristic.name,
      ruleText: (rule: number) => tx(`inspection.rule.${rule}` as TextId),
      outOfSpec: outOfSpecText,
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- tx changes identity every render
    [characteristic.name, outOfSpecText],
  );
  const exclusions = baseline ? parseExclusions(excluded, baseline.first, baseline.last) : null;
  return (
    <div className="panel">
      <h2>{characteristic.name}</h2>
      {chart.isError && <ErrorNotice error={chart.error} />}
      {chart.data && lines && (
        <>
          <ControlChart
            points={chart.data.points}
            lines={lines}
            unit={characteristic.unit}
            labels={labels}
            onSelect={(first, last) => setBaseline({ first, last })}
          />
          <p className="hint">{tx("inspection.dragHint")}</p>
        </>
      )}
      {baseline && (
        <Form<FreezeValues>
          form={freezeForm}
          layout="inline"
          className="form-inline"
          onFinish={(values) => {
            if (!exclusions) return;
            const reason = values.reason?.trim() ?? "";
            freeze.mutate({
              baseline_first: baseline.first,
              baseline_last: baseline.last,
              exclusions: exclusions.map((position) => ({ position, reason })),
            });
          }}
        >
          <span>
            {tx("inspection.baseline", {
              first: baseline.first,
              last: baseline.last,
              excluded: exclusions?.length ?? 0,
            })}
          </span>
          <Form.Item name="excluded">
            <Input aria-label={tx("inspection.exclude")} placeholder={tx("inspection.exclude")} />
          </Form.Item>
          <Form.Item
            name="reason"
            dependencies={["excluded"]}
            rules={[
              {
                // An excluded point needs its assignable cause.
                validator: (_, value: string | undefined) =>
                  exclusions?.length && !value?.trim()
                    ? Promise.reject(new Error(tx("inspection.reasonRequired")))
                    : Promise.resolve(),
              },
            ]}
          >
            <Input aria-label={tx("inspection.excludeReason")} placeholder={tx("inspection.excludeReason")} />
          </Form.Item>
          <Button type="primary" htmlType="submit" disabled={!exclusions} loading={freeze.isPending}>
            {tx("inspection.freeze")}
          </Button>
          {freeze.isError && <ErrorNotice error={freeze.error} />}
        </Form>
      )}
      <div className="form-inline">
        <label>
          {tx("inspection.from")}{" "}
          <DayPicker
            style={{ width: "10rem" }}
            value={period.from ? dayjs(period.from) : null}
            onChange={(day) => setPeriod({ ...period, from: day ? pickedDay(day) : "" })}
          />
        </label>
        <label>
          {tx("inspection.to")}{" "}
          <DayPicker
            style={{ width: "10rem" }}
            value={period.to ? dayjs(period.to) : null}
            onChange={(day) => setPeriod({ ...period, to: day ? pickedDay(day) : "" })}
          />
        </label>
      </div>
      {capability.isError && <ErrorNotice error={capability.error} />}
      {capability.data && <CapabilityView capability={capability.data} unit={characteristic.unit} />}
    </div>
  );
}

function CapabilityView({ capability, unit }: { capability: CapabilityResponse; unit: string }) {
  const tx = useText();
  const interval = (i: { low: number; high: number } | null) => (i ? ` [${fmt(i.low)}, ${fmt(i.high)}]` : "");
  const max = Math.max(...capability.histogram_counts, 1);
  const edges = capability.histogram_edges;
  const low = edges[0] ?? 0;
  const span = (edges[edges.length - 1] ?? low) - low || 1;
  const at = (x: number) => `${((x - low) / span) * 100}%`;
  return (
    <div data-testid="capability">
      <h3>{tx("inspection.capability")}</h3>
      <p>
        Cp {fmt(capability.cp)}
        {interval(capability.cp_ci)} · Cpk {fmt(capability.cpk)}
        {interval(capability.cpk_ci)} · Pp {fmt(capability.pp)}
        {interval(capability.pp_ci)} · Ppk {fmt(capability.ppk)}
        {interval(capability.ppk_ci)} · n = {capability.n}
      </p>
      <p>
        {capability.sigma_within_estimator &&
          tx("inspection.sigmaWithin", { estimator: capability.sigma_within_estimator })}{" "}
        {capability.normality_p !== null &&
          tx(capability.normal ? "inspection.normal" : "inspection.notNormal", {
            p: capability.normality_p.toFixed(3),
          })}{" "}
        {tx("inspection.outOfSpec", { count: capability.out_of_spec })}
      </p>
      <div
        aria-label={tx("inspection.histogram")}
        style={{ position: "relative", height: 120, display: "flex", alignItems: "flex-end", gap: 1 }}
      >
        {capability.histogram_counts.map((count, i) => (
          <div
            key={i}
            title={`${fmt(edges[i], 4)}–${fmt(edges[i + 1], 4)} ${unit}: ${count}`}
            style={{ flex: 1, height: `${(count / max) * 100}%`, background: "#2f6fde" }}
          />
        ))}
        {[capability.lsl, capability.usl].map((limit, i) =>
          limit === null ? null : (
            <div
              key={i}
              title={`${i ? "USL" : "LSL"} ${limit} ${unit}`}
              style={{
                position: "absolute",
                left: at(limit),
                top: 0,
                bottom: 0,
                borderLeft: "2px dashed #722ed1",
              }}
            />
          ),
        )}
      </div>
    </div>
  );
}

/** What an alarm is about, in the reader's language (the server's message is its English form). */
function AlarmText({ alarm, chart }: { alarm: Alarm; chart: string | undefined }) {
  const tx = useText();
  const point = alarm.positions[0] ?? alarm.last_position;
  if (alarm.kind === "rule" && alarm.rule !== null && hasText(`inspection.rule.${alarm.rule}`)) {
    const text = tx(`inspection.rule.${alarm.rule}` as TextId);
    return (
      <span data-rule={alarm.rule}>{tx("inspection.alarm.rule", { rule: alarm.rule, text, point })}</span>
    );
  }
  if (alarm.kind === "spread" && chart && hasText(`inspection.spread.${chart}`)) {
    return (
      <span>
        {tx("inspection.alarm.spread", { chart: tx(`inspection.spread.${chart}` as TextId), point })}
      </span>
    );
  }
  if (alarm.kind === "out_of_spec") return <span>{tx("inspection.alarm.out_of_spec", { point })}</span>;
  return <span>{alarm.message}</span>;
}

function AlarmList({ alarms, characteristics }: { alarms: Alarm[]; characteristics: Characteristic[] }) {
  const tx = useText();
  const names = new Map(characteristics.map((c) => [c.id, c.name]));
  const charts = new Map(characteristics.map((c) => [c.id, c.chart]));
  return (
    <div className="panel">
      <h2>{tx("inspection.alarms")}</h2>
      <ul className="alarm-list" data-testid="inspection-alarms">
        {alarms.map((alarm) => (
          <li key={alarm.id}>
            <span>{formatShanghaiTime(alarm.raised_at)}</span>{" "}
            <strong>{names.get(alarm.characteristic_id)}</strong>{" "}
            <AlarmText alarm={alarm} chart={charts.get(alarm.characteristic_id)} /> (
            {tx("inspection.occurrences", { count: alarm.occurrences })}){" "}
            {alarm.acknowledged_at ? (
              <em>
                {tx("inspection.acknowledged", { cause: alarm.cause ?? "", action: alarm.action ?? "" })}
              </em>
            ) : (
              <AcknowledgeForm alarm={alarm} />
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface AcknowledgeValues {
  cause: string;
  action: string;
}

function AcknowledgeForm({ alarm }: { alarm: Alarm }) {
  const api = useApi();
  const tx = useText();
  const { message } = App.useApp();
  const queries = useQueryClient();
  const [form] = Form.useForm<AcknowledgeValues>();
  const ack = useMutation({
    mutationFn: (body: AcknowledgeValues) => api.call(`${BASE}/alarms/${alarm.id}/acknowledge`, post(body)),
    onSuccess: () => {
      void message.success(tx("inspection.acknowledgedNow"));
      void queries.invalidateQueries({ queryKey: ["inspection"] });
    },
  });
  const required = (id: TextId): Rule => ({
    required: true,
    whitespace: true,
    message: tx("inspection.required", { field: tx(id) }),
  });
  return (
    <Form<AcknowledgeValues>
      form={form}
      name={`ack-${alarm.id}`}
      layout="inline"
      className="form-inline"
      onFinish={(values) => ack.mutate({ cause: values.cause.trim(), action: values.action.trim() })}
    >
      <Form.Item name="cause" rules={[required("inspection.cause")]}>
        <Input aria-label={tx("inspection.cause")} placeholder={tx("inspection.cause")} maxLength={500} />
      </Form.Item>
      <Form.Item name="action" rules={[required("inspection.action")]}>
        <Input aria-label={tx("inspection.action")} placeholder={tx("inspection.action")} maxLength={500} />
      </Form.Item>
      <Button size="small" htmlType="submit" loading={ack.isPending}>
        {tx("inspection.ack")}
      </Button>
      {ack.isError && <ErrorNotice error={ack.error} />}
    </Form>
  );
}
