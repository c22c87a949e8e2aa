import { App, Button, Checkbox, Form, Input, InputNumber, Select, Switch } from "antd";
import type { Rule } from "antd/es/form";
import dayjs, { type Dayjs } from "dayjs";
import { Link, useNavigate } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { DayPicker } from "../../components/MinutePicker";
import { useI18n } from "../../i18n";
import { pickedDay } from "../calibration";
import { useCurrentUser } from "../auth";
import { AttachmentsPanel } from "./AttachmentsPanel";
import { AuditHistoryPanel } from "./AuditHistoryPanel";
import { BlackoutsPanel } from "./BlackoutsPanel";
import { BookingPolicyForm } from "./BookingPolicyForm";
import { CostModelForm } from "./CostModelForm";
import {
  type RecordOut,
  type RecordUpdate,
  useCreateInstrument,
  useEditableRecord,
  useLabs,
  useUpdateInstrument,
} from "./editorApi";
import { OpeningHoursEditor } from "./OpeningHoursEditor";
import { ScopeLinksEditor } from "./ScopeLinksEditor";
import { type TextId, useEditorText } from "./text";
import "./registry.css";

const EDITOR_ROLES = ["lab_manager", "lab_staff", "platform_admin"];
const MODES = ["self_operated", "staff_operated"] as const;

/** What the form holds: the catalogue fields and the record fields, blanks as "" or null. */
export interface RecordValues {
  lab_id?: string;
  name: string;
  name_en?: string | null;
  model?: string | null;
  manufacturer?: string | null;
  serial_number?: string | null;
  location?: string | null;
  is_open: boolean;
  category?: string | null;
  specification?: string | null;
  original_value?: number | null;
  country_of_origin?: string | null;
  manufacture_date?: string | null;
  purchase_date?: string | null;
  asset_class_code?: string | null;
  firmware_version?: string | null;
  technical_specifications?: string | null;
  main_functions?: string | null;
  accessories?: string | null;
  fee_rule?: string | null;
  contact_name?: string | null;
  contact_phone?: string | null;
  contact_email?: string | null;
  service_modes: string[];
  calibration_required: boolean;
  calibration_interval_days?: number | null;
}

const RECORD_TEXT_FIELDS = [
  "category",
  "specification",
  "country_of_origin",
  "manufacture_date",
  "purchase_date",
  "asset_class_code",
  "firmware_version",
  "technical_specifications",
  "main_functions",
  "accessories",
  "fee_rule",
  "contact_name",
  "contact_phone",
  "contact_email",
] as const;

/** A record date (yyyy-mm-dd, or none) shown in a day picker, and the picked day kept as one. */
const dateField = {
  getValueProps: (value: string | null | undefined) => ({ value: value ? dayjs(value) : null }),
  normalize: (value: Dayjs | null | undefined) => (value ? pickedDay(value) : null),
};

function blank(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** The record part of the form as the server's PATCH body; an emptied field is cleared. */
export function recordBody(v: RecordValues): RecordUpdate {
  const body: RecordUpdate = {
    original_value:
      v.original_value === null || v.original_value === undefined ? null : String(v.original_value),
    currency: v.original_value === null || v.original_value === undefined ? null : "CNY",
    service_modes: v.service_modes as RecordUpdate["service_modes"],
    calibration_required: v.calibration_required,
    calibration_interval_days: v.calibration_interval_days ?? null,
  };
  for (const key of RECORD_TEXT_FIELDS) body[key] = blank(v[key]);
  return body;
}

export function instrumentBody(v: RecordValues) {
  return {
    name: v.name.trim(),
    name_en: blank(v.name_en),
    model: blank(v.model),
    manufacturer: blank(v.manufacturer),
    serial_number: blank(v.serial_number),
    location: blank(v.location),
    is_open: v.is_open,
  };
}

/** The form's values from a saved record, so the form shows what the server now holds. */
export function valuesOf(record: RecordOut): RecordValues {
  return {
    name: record.name,
    name_en: record.name_en,
    model: record.model,
    manufacturer: record.manufacturer,
    serial_number: record.serial_number ?? null,
    location: record.location,
    is_open: record.is_open,
    category: record.category,
    specification: record.specification,
    original_value: record.original_value ? Number(record.original_value) : null,
    country_of_origin: record.country_of_origin,
    manufacture_date: record.manufacture_date,
    purchase_date: record.purchase_date ?? null,
    asset_class_code: record.asset_class_code ?? null,
    firmware_version: record.firmware_version ?? null,
    technical_specifications: record.technical_specifications,
    main_functions: record.main_functions,
    accessories: record.accessories,
    fee_rule: record.fee_rule,
    contact_name: record.contact_name ?? null,
    contact_phone: record.contact_phone ?? null,
    contact_email: record.contact_email ?? null,
    service_modes: record.service_modes,
    calibration_required: record.calibration_required,
    calibration_interval_days: record.calibration_interval_days,
  };
}

const NEW_VALUES: RecordValues = {
  name: "",
  is_open: true,
  service_modes: ["self_operated", "staff_operated"],
  calibration_required: true,
  calibration_interval_days: 365,
};

export function useMayEdit() {
  const me = useCurrentUser();
  return { me, mayEdit: !!me.data && EDITOR_ROLES.includes(me.data.role) };
}

/** The record form: every field of the instrument's record, for registering or editing. */
function RecordForm({
  initial,
  creating,
  saving,
  error,
  onSave,
}: {
  initial: RecordValues;
  creating: boolean;
  saving: boolean;
  error: unknown;
  onSave: (values: RecordValues, form: ReturnType<typeof Form.useForm<RecordValues>>[0]) => void;
}) {
  const t = useEditorText();
  const { pickName } = useI18n();
  const [form] = Form.useForm<RecordValues>();
  const labs = useLabs();
  const required = (id: TextId): Rule => ({
    required: true,
    whitespace: true,
    message: t("editor.required", { field: t(id) }),
  });
  const text = (name: keyof RecordValues, id: TextId, extra: Rule[] = []) => (
    <Form.Item name={name} label={t(id)} rules={extra}>
      <Input maxLength={5000} />
    </Form.Item>
  );
  const area = (name: keyof RecordValues, id: TextId) => (
    <Form.Item name={name} label={t(id)} className="editor-wide">
      <Input.TextArea rows={3} maxLength={5000} />
    </Form.Item>
  );

  return (
    <Form<RecordValues>
      form={form}
      layout="vertical"
      initialValues={{ ...initial, lab_id: initial.lab_id ?? labs.data?.[0]?.id }}
      onFinish={(values) => onSave(values, form)}
      className="card editor-form"
      data-testid="record-form"
    >
      {!!error && <ErrorNotice error={error} />}
      <h2>{t("editor.basics")}</h2>
      <div className="editor-grid">
        {creating && (
          <Form.Item
            name="lab_id"
            label={t("editor.lab")}
            rules={[{ required: true, message: t("editor.chooseLab") }]}
          >
            <Select
              loading={labs.isPending}
              options={(labs.data ?? []).map((lab) => ({
                value: lab.id,
                label: pickName(lab.name, lab.name_en),
              }))}
            />
          </Form.Item>
        )}
        <Form.Item name="name" label={t("editor.name")} rules={[required("editor.name")]}>
          <Input maxLength={200} />
        </Form.Item>
        {text("name_en", "editor.nameEn")}
        {text("model", "editor.model")}
        {text("manufacturer", "editor.manufacturer")}
        {text("serial_number", "editor.serial")}
        {text("location", "editor.location")}
        {text("category", "editor.category")}
        {text("specification", "editor.specification")}
      </div>

      <h2>{t("editor.asset")}</h2>
      <div className="editor-grid">
        <Form.Item
          name="original_value"
          label={t("editor.originalValue")}
          rules={[{ type: "number", min: 0, message: t("editor.notNegative") }]}
        >
          <InputNumber className="editor-number" min={0} precision={2} step={1000} />
        </Form.Item>
        {text("country_of_origin", "editor.origin")}
        <Form.Item name="manufacture_date" label={t("editor.manufactureDate")} {...dateField}>
          <DayPicker />
        </Form.Item>
        <Form.Item name="purchase_date" label={t("editor.purchaseDate")} {...dateField}>
          <DayPicker />
        </Form.Item>
        {text("asset_class_code", "editor.assetCode")}
        {text("firmware_version", "editor.firmware")}
      </div>

      <h2>{t("editor.service")}</h2>
      <div className="editor-grid">
        {area("technical_specifications", "editor.techSpecs")}
        {area("main_functions", "editor.functions")}
        {area("accessories", "editor.accessories")}
        {area("fee_rule", "editor.feeRule")}
        <Form.Item
          name="service_modes"
          label={t("editor.modes")}
          rules={[{ type: "array", min: 1, required: true, message: t("editor.oneMode") }]}
        >
          <Checkbox.Group options={MODES.map((mode) => ({ value: mode, label: t(`editor.mode.${mode}`) }))} />
        </Form.Item>
        <Form.Item
          name="calibration_required"
          label={t("editor.calibrationRequired")}
          valuePropName="checked"
        >
          <Switch />
        </Form.Item>
        <Form.Item name="calibration_interval_days" label={t("editor.calibrationInterval")}>
          <InputNumber className="editor-number" min={1} max={3650} precision={0} />
        </Form.Item>
      </div>

      <h2>{t("editor.contactSection")}</h2>
      <div className="editor-grid">
        {text("contact_name", "editor.contactName")}
        {text("contact_phone", "editor.contactPhone")}
        {text("contact_email", "editor.contactEmail", [{ type: "email", message: t("editor.badEmail") }])}
      </div>

      <Form.Item
        name="is_open"
        label={t("editor.isOpen")}
        valuePropName="checked"
        extra={t("editor.isOpenHint")}
      >
        <Switch />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={saving}>
        {t(creating ? "editor.register" : "editor.save")}
      </Button>
    </Form>
  );
}

/** `/instruments/new`: a lab's staff register an instrument, then set its hours and fees. */
export function InstrumentNewPage() {
  const t = useEditorText();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { me, mayEdit } = useMayEdit();
  const labs = useLabs();
  const create = useCreateInstrument();

  if (me.isPending || labs.isPending) return <Loading />;
  return (
    <section className="editor-page" data-testid="instrument-new">
      <Link to="/" className="back-link">
        ← {t("editor.backToList")}
      </Link>
      <h1>{t("editor.new")}</h1>
      {!mayEdit && <p className="muted">{t("editor.forbidden")}</p>}
      {mayEdit && labs.data?.length === 0 && <p className="muted">{t("editor.noLab")}</p>}
      {labs.isError && <ErrorNotice error={labs.error} />}
      {mayEdit && !!labs.data?.length && (
        <RecordForm
          initial={{ ...NEW_VALUES, lab_id: labs.data[0]!.id }}
          creating
          saving={create.isPending}
          error={create.error}
          onSave={(values) =>
            create.mutate(
              {
                instrument: { ...instrumentBody(values), lab_id: values.lab_id! },
                record: recordBody(values),
              },
              {
                onSuccess: (created) => {
                  void message.success(t("editor.registered"));
                  void navigate(`/instruments/${created.id}/edit`);
                },
              },
            )
          }
        />
      )}
    </section>
  );
}

/** `/instruments/:id/edit`: the record, the weekly hours, booking rules, fees and blackouts. */
export function InstrumentEditPage({ instrumentId }: { instrumentId: string }) {
  const t = useEditorText();
  const { pickName } = useI18n();
  const { message } = App.useApp();
  const { me, mayEdit } = useMayEdit();
  const record = useEditableRecord(instrumentId);
  const update = useUpdateInstrument(instrumentId);

  if (me.isPending || record.isPending) return <Loading />;
  if (record.isError) return <ErrorNotice error={record.error} onRetry={() => void record.refetch()} />;
  const data = record.data;
  return (
    <section className="editor-page" data-testid="instrument-edit">
      <Link to={`/instruments/${instrumentId}`} className="back-link">
        ← {t("editor.back")}
      </Link>
      <div className="detail-head">
        <h1>
          {t("editor.edit")} · {pickName(data.name, data.name_en)}
        </h1>
        <span
          className={data.is_open ? "editor-badge editor-badge-open" : "editor-badge"}
          data-testid="open-state"
        >
          {t(data.is_open ? "editor.openNow" : "editor.retired")}
        </span>
      </div>
      {!mayEdit && <p className="muted">{t("editor.forbidden")}</p>}
      {mayEdit && (
        <>
          <RecordForm
            initial={valuesOf(data)}
            creating={false}
            saving={update.isPending}
            error={update.error}
            onSave={(values, form) =>
              update.mutate(
                { instrument: instrumentBody(values), record: recordBody(values) },
                {
                  onSuccess: (saved) => {
                    // Show what the server kept (trimmed, cleared), not what was typed.
                    form.setFieldsValue(valuesOf(saved));
                    void message.success(t("editor.saved"));
                  },
                },
              )
            }
          />
          <ScopeLinksEditor instrumentId={instrumentId} linked={data.scope ?? []} />
          <AttachmentsPanel instrumentId={instrumentId} />
          <OpeningHoursEditor instrumentId={instrumentId} hours={data.opening_hours} />
          <BookingPolicyForm instrumentId={instrumentId} />
          <CostModelForm instrumentId={instrumentId} />
          <BlackoutsPanel instrumentId={instrumentId} />
          <AuditHistoryPanel instrumentId={instrumentId} />
        </>
      )}
    </section>
  );
}

/** "登记仪器" for those who may register instruments; nothing for everyone else. */
export function RegisterInstrumentLink() {
  const t = useEditorText();
  const { mayEdit } = useMayEdit();
  if (!mayEdit) return null;
  return (
    <>
      <Link to="/instruments/new" className="btn" data-testid="register-instrument">
        {t("editor.new")}
      </Link>
      <Link to="/instruments/import" className="btn btn-ghost" data-testid="import-instruments">
        {t("import.link")}
      </Link>
    </>
  );
}

/** "编辑档案" on the lab's screens of one instrument. */
export function EditRecordLink({ instrumentId }: { instrumentId: string }) {
  const t = useEditorText();
  return (
    <Link to={`/instruments/${instrumentId}/edit`} className="btn btn-ghost" data-testid="edit-record">
      {t("editor.edit")}
    </Link>
  );
}
