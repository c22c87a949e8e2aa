import { Table, Tag } from "antd";
import type { Breakpoint } from "antd/es/_util/responsiveObserver";
import type { ColumnsType } from "antd/es/table";
import { ErrorNotice } from "../../components/ErrorNotice";
import { type ListColumn, useListTools } from "../../components/ListTools";
import { hasMessage, useI18n } from "../../i18n";
import { formatUnit } from "../../lib/format";
import { useInstruments } from "../instruments/queries";
import { formatTime } from "./CostModelForm";
import { type AuditEntry, useInstrumentHistory } from "./editorApi";
import { type TextId, useEditorText } from "./text";

type Json = Record<string, unknown> | null | undefined;

/** Field names as the editor labels them. */
const FIELD_LABELS: Partial<Record<string, TextId>> = {
  name: "editor.name",
  name_en: "editor.nameEn",
  model: "editor.model",
  manufacturer: "editor.manufacturer",
  serial_number: "editor.serial",
  location: "editor.location",
  category: "editor.category",
  specification: "editor.specification",
  original_value: "editor.originalValue",
  country_of_origin: "editor.origin",
  manufacture_date: "editor.manufactureDate",
  purchase_date: "editor.purchaseDate",
  asset_class_code: "editor.assetCode",
  firmware_version: "editor.firmware",
  technical_specifications: "editor.techSpecs",
  main_functions: "editor.functions",
  accessories: "editor.accessories",
  fee_rule: "editor.feeRule",
  contact_name: "editor.contactName",
  contact_phone: "editor.contactPhone",
  contact_email: "editor.contactEmail",
  service_modes: "editor.modes",
  calibration_required: "editor.calibrationRequired",
  calibration_interval_days: "editor.calibrationInterval",
  is_open: "editor.isOpen",
  consumables_per_hour: "cost.consumables",
  staff_service_per_hour: "cost.staff",
  annual_depreciation: "cost.depreciation",
  rated_annual_hours: "cost.ratedHours",
  other_per_hour: "cost.other",
  per_sample_fee: "cost.perSample",
  factors: "cost.factors",
  asset_number: "history.field.asset_number",
  commissioned_on: "history.field.commissioned_on",
  currency: "history.field.currency",
  opening_hours: "history.field.opening_hours",
  canonical_unit: "history.field.canonical_unit",
  point_key: "history.field.point_key",
};

function channelLabel(row: Record<string, unknown> | null | undefined): string | null {
  if (!row || typeof row.name !== "string") return null;
  const point = [row.device_key, row.point_key].filter((k) => typeof k === "string").join("/");
  return point ? `${row.name}（${point}）` : row.name;
}

/** Columns a person never changes by hand: left out of "what changed". */
const HIDDEN = new Set([
  "id",
  "instrument_id",
  "organisation_id",
  "lab_id",
  "created_at",
  "updated_at",
  "published_at",
]);

function shown(value: unknown, empty: string): string {
  if (value === null || value === undefined || value === "") return empty;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The fields an entry changed, with their values before and after. */
export function changedFields(before: Json, after: Json): { field: string; from: unknown; to: unknown }[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys]
    .filter((k) => !HIDDEN.has(k))
    .filter((k) => JSON.stringify(before?.[k] ?? null) !== JSON.stringify(after?.[k] ?? null))
    .sort()
    .map((field) => ({ field, from: before?.[field], to: after?.[field] }));
}

/** Who changed what on the instrument and its records, and when (Beijing time). */
export function AuditHistoryPanel({ instrumentId }: { instrumentId: string }) {
  const t = useEditorText();
  const { locale } = useI18n();
  const history = useInstrumentHistory(instrumentId);
  // A channel moved between instruments names the other one; ids are not for people.
  const instruments = useInstruments();
  const instrumentName = (id: unknown) => {
    const found = instruments.data?.find((i) => i.id === id);
    if (!found) return t("history.otherInstrument");
    return locale === "en" && found.name_en ? found.name_en : found.name;
  };
  // Known names are translated; a record kind or field this page does not know yet shows as
  // itself rather than disappearing from the history.
  const known = (id: string, fallback: string) => (hasMessage(id, "registry") ? t(id as TextId) : fallback);
  const fieldLabel = (field: string) => {
    const id = FIELD_LABELS[field];
    return id ? t(id) : field;
  };
  // Service modes in words and units as symbols, never their API values.
  const value = (field: string, v: unknown) => {
    if (field === "service_modes" && Array.isArray(v) && v.length > 0)
      return v.map((mode) => known(`editor.mode.${String(mode)}`, String(mode))).join("、");
    if (field === "canonical_unit" && typeof v === "string") return formatUnit(v) || t("history.unitless");
    return shown(v, t("history.empty"));
  };
  /** An entry's changes in words: one summary line, or one line per changed field. */
  const changeLines = (e: AuditEntry): { summary: string | null; fields: [string, string][] } => {
    const changes = changedFields(e.before, e.after);
    // A channel is known by its name and the point the gateway reads.
    const channel = e.entity === "channel" ? channelLabel(e.after ?? e.before) : null;
    if (channel && (e.action === "create" || e.action === "delete")) return { summary: channel, fields: [] };
    if (e.action === "create")
      return { summary: t("history.created", { count: changes.length }), fields: [] };
    const from = e.before?.instrument_id;
    const to = e.after?.instrument_id;
    const moved =
      e.entity === "channel" && from !== to
        ? to === instrumentId
          ? t("history.channelMovedIn", { channel: channel ?? "", instrument: instrumentName(from) })
          : t("history.channelMovedOut", { channel: channel ?? "", instrument: instrumentName(to) })
        : null;
    if (!changes.length) return { summary: moved ?? t("history.noChange"), fields: [] };
    return {
      summary: moved,
      fields: changes.map((c) => [
        fieldLabel(c.field),
        `${value(c.field, c.from)} → ${value(c.field, c.to)}`,
      ]),
    };
  };
  const changesOf = (e: AuditEntry) => {
    const { summary, fields } = changeLines(e);
    if (fields.length === 0) return summary;
    return (
      <ul className="history-changes">
        {summary && <li>{summary}</li>}
        {fields.map(([label, change]) => (
          <li key={label}>
            <b>{label}</b>: {change}
          </li>
        ))}
      </ul>
    );
  };
  const listed: ListColumn<AuditEntry>[] = [
    { title: t("history.when"), value: (e) => formatTime(e.occurred_at, locale) },
    { title: t("history.who"), value: (e) => e.actor_name ?? t("history.system") },
    {
      title: t("history.what"),
      value: (e) =>
        `${known(`history.entity.${e.entity}`, e.entity)} ${known(`history.action.${e.action}`, e.action)}`,
    },
    {
      title: t("history.changes"),
      value: (e) => {
        const { summary, fields } = changeLines(e);
        return [summary, ...fields.map(([label, change]) => `${label}: ${change}`)]
          .filter(Boolean)
          .join("; ");
      },
    },
  ];
  const tools = useListTools(history.data, listed, "labshare-instrument-history.csv");
  const when = (e: AuditEntry) => (
    <>
      <div>{formatTime(e.occurred_at, locale)}</div>
      <div className="muted">{e.actor_name ?? t("history.system")}</div>
    </>
  );
  const what = (e: AuditEntry) => (
    <>
      <Tag>{known(`history.entity.${e.entity}`, e.entity)}</Tag>
      {known(`history.action.${e.action}`, e.action)}
    </>
  );
  // Wider than a phone: when and who, what, the changes side by side. A phone stacks the three
  // in one column, so nothing needs sideways scrolling (antd's xs is below 576 px).
  const WIDE: Breakpoint[] = ["sm"];
  const columns: ColumnsType<AuditEntry> = [
    {
      title: `${t("history.when")} · ${t("history.who")}`,
      key: "when",
      width: 150,
      responsive: WIDE,
      render: (_, e) => when(e),
    },
    { title: t("history.what"), key: "what", width: 130, responsive: WIDE, render: (_, e) => what(e) },
    { title: t("history.changes"), key: "changes", responsive: WIDE, render: (_, e) => changesOf(e) },
    {
      title: t("history.changes"),
      key: "entry",
      responsive: ["xs"],
      render: (_, e) => (
        <div className="history-entry">
          {when(e)}
          <div>{what(e)}</div>
          <div>{changesOf(e)}</div>
        </div>
      ),
    },
  ];
  return (
    <section className="card editor-form" data-testid="audit-history">
      <h2>{t("history.title")}</h2>
      <p className="muted">{t("history.hint")}</p>
      {history.isError && <ErrorNotice error={history.error} />}
      {!!history.data?.length && <div className="list-tools-row">{tools.toolbar}</div>}
      <Table<AuditEntry>
        rowKey="id"
        size="small"
        loading={history.isPending}
        columns={columns}
        dataSource={tools.shown}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: t("history.none") }}
      />
    </section>
  );
}
