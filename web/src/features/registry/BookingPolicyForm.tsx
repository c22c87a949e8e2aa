import { App, Button, Form, InputNumber, Select, Switch } from "antd";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type PolicyIn, type PolicyOut, usePolicy, useSavePolicy } from "./editorApi";
import { type TextId, useEditorText } from "./text";
import "./registry.css";

/** The policy as the form shows it: shares as percentages, quotas as hours or empty. */
export interface PolicyValues {
  approval_required: boolean;
  self_operated_allowed: boolean;
  staff_operated_allowed: boolean;
  lead_time_minutes: number;
  slot_minutes: number;
  buffer_minutes: number;
  min_duration_minutes: number;
  max_duration_minutes: number;
  horizon_days: number;
  cancellation_window_hours: number;
  late_cancellation_pct: number;
  no_show_pct: number;
  no_show_release_minutes: number;
  charge_basis: "actual" | "booked";
  quota_hours_per_week: number | null;
  quota_hours_per_month: number | null;
  voucher_max_pct: number;
  waitlist_offer_minutes: number;
}

const pct = (share: string | number) => Math.round(Number(share) * 10000) / 100;
const share = (percent: number) => (Math.round(percent * 100) / 10000).toFixed(4);
const hoursOrNull = (value: string | number | null | undefined) =>
  value === null || value === undefined ? null : Number(value);

export function policyValues(p: PolicyOut): PolicyValues {
  return {
    approval_required: p.approval_required,
    self_operated_allowed: p.self_operated_allowed,
    staff_operated_allowed: p.staff_operated_allowed,
    lead_time_minutes: p.lead_time_minutes,
    slot_minutes: p.slot_minutes,
    buffer_minutes: p.buffer_minutes,
    min_duration_minutes: p.min_duration_minutes,
    max_duration_minutes: p.max_duration_minutes,
    horizon_days: p.horizon_days,
    cancellation_window_hours: p.cancellation_window_hours,
    late_cancellation_pct: pct(p.late_cancellation_share),
    no_show_pct: pct(p.no_show_share),
    no_show_release_minutes: p.no_show_release_minutes,
    charge_basis: p.charge_basis === "booked" ? "booked" : "actual",
    quota_hours_per_week: hoursOrNull(p.quota_hours_per_week),
    quota_hours_per_month: hoursOrNull(p.quota_hours_per_month),
    voucher_max_pct: pct(p.voucher_max_share),
    waitlist_offer_minutes: p.waitlist_offer_minutes,
  };
}

/** The whole policy for PUT (it replaces every rule; the opening hours are left alone). */
export function policyBody(v: PolicyValues, timezone: string): PolicyIn {
  return {
    timezone,
    approval_required: v.approval_required,
    self_operated_allowed: v.self_operated_allowed,
    staff_operated_allowed: v.staff_operated_allowed,
    lead_time_minutes: v.lead_time_minutes,
    slot_minutes: v.slot_minutes,
    buffer_minutes: v.buffer_minutes,
    min_duration_minutes: v.min_duration_minutes,
    max_duration_minutes: v.max_duration_minutes,
    horizon_days: v.horizon_days,
    cancellation_window_hours: v.cancellation_window_hours,
    late_cancellation_share: share(v.late_cancellation_pct),
    no_show_share: share(v.no_show_pct),
    no_show_release_minutes: v.no_show_release_minutes,
    charge_basis: v.charge_basis,
    quota_hours_per_week: v.quota_hours_per_week === null ? null : String(v.quota_hours_per_week),
    quota_hours_per_month: v.quota_hours_per_month === null ? null : String(v.quota_hours_per_month),
    voucher_max_share: share(v.voucher_max_pct),
    waitlist_offer_minutes: v.waitlist_offer_minutes,
  };
}

/** Booking rules of one instrument: approval, lead time, durations, cancellation and no-show. */
export function BookingPolicyForm({ instrumentId }: { instrumentId: string }) {
  const t = useEditorText();
  const { message } = App.useApp();
  const policy = usePolicy(instrumentId);
  const save = useSavePolicy(instrumentId);
  const [form] = Form.useForm<PolicyValues>();

  if (policy.isPending) return <Loading />;
  if (policy.isError) return <ErrorNotice error={policy.error} />;
  const number = (name: keyof PolicyValues, id: TextId, min: number, max: number, optional = false) => (
    <Form.Item
      name={name}
      label={t(id)}
      rules={[
        optional
          ? { type: "number", min, max }
          : { required: true, type: "number", min, max, message: t("editor.required", { field: t(id) }) },
      ]}
    >
      <InputNumber
        className="editor-number"
        min={min}
        max={max}
        precision={0}
        placeholder={optional ? t("policy.noQuota") : undefined}
      />
    </Form.Item>
  );
  const percent = (name: keyof PolicyValues, id: TextId) => (
    <Form.Item
      name={name}
      label={t(id)}
      rules={[
        { required: true, type: "number", min: 0, max: 100, message: t("editor.required", { field: t(id) }) },
      ]}
    >
      <InputNumber className="editor-number" min={0} max={100} precision={2} suffix="%" />
    </Form.Item>
  );
  const toggle = (name: keyof PolicyValues, id: TextId) => (
    <Form.Item name={name} label={t(id)} valuePropName="checked">
      <Switch />
    </Form.Item>
  );

  return (
    <Form<PolicyValues>
      form={form}
      layout="vertical"
      className="card editor-form"
      data-testid="policy-form"
      initialValues={policyValues(policy.data)}
      onFinish={(values) =>
        save.mutate(policyBody(values, policy.data.timezone), {
          onSuccess: (saved) => {
            form.setFieldsValue(policyValues(saved));
            void message.success(t("editor.saved"));
          },
        })
      }
    >
      <h2>{t("policy.title")}</h2>
      {!!save.error && <ErrorNotice error={save.error} />}
      <div className="editor-grid">
        {toggle("approval_required", "policy.approval")}
        {toggle("self_operated_allowed", "policy.selfAllowed")}
        {toggle("staff_operated_allowed", "policy.staffAllowed")}
        {number("lead_time_minutes", "policy.lead", 0, 1_051_200)}
        {number("slot_minutes", "policy.slot", 5, 1440)}
        {number("buffer_minutes", "policy.buffer", 0, 1440)}
        {number("min_duration_minutes", "policy.min", 5, 1_051_200)}
        <Form.Item
          name="max_duration_minutes"
          label={t("policy.max")}
          dependencies={["min_duration_minutes"]}
          rules={[
            {
              required: true,
              type: "number",
              min: 5,
              message: t("editor.required", { field: t("policy.max") }),
            },
            ({ getFieldValue }) => ({
              validator: (_, value: number | null) =>
                value === null || value >= Number(getFieldValue("min_duration_minutes"))
                  ? Promise.resolve()
                  : Promise.reject(new Error(t("policy.maxBelowMin"))),
            }),
          ]}
        >
          <InputNumber className="editor-number" min={5} precision={0} />
        </Form.Item>
        {number("horizon_days", "policy.horizon", 1, 730)}
        {number("cancellation_window_hours", "policy.cancelWindow", 0, 336)}
        {percent("late_cancellation_pct", "policy.lateShare")}
        {percent("no_show_pct", "policy.noShowShare")}
        {number("no_show_release_minutes", "policy.noShowRelease", 1, 1440)}
        <Form.Item name="charge_basis" label={t("policy.chargeBasis")}>
          <Select
            options={(["actual", "booked"] as const).map((basis) => ({
              value: basis,
              label: t(`policy.basis.${basis}`),
            }))}
          />
        </Form.Item>
        {number("quota_hours_per_week", "policy.quotaWeek", 1, 168, true)}
        {number("quota_hours_per_month", "policy.quotaMonth", 1, 744, true)}
        {percent("voucher_max_pct", "policy.voucherShare")}
        {number("waitlist_offer_minutes", "policy.waitlist", 5, 1_051_200)}
      </div>
      <Button type="primary" htmlType="submit" loading={save.isPending}>
        {t("policy.save")}
      </Button>
    </Form>
  );
}
