import { App, Button, Form, InputNumber } from "antd";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { type CostModelIn, type CostModelOut, useCostModel, useSaveCostModel } from "./editorApi";
import { type TextId, useEditorText } from "./text";
import "./registry.css";

export const USER_CATEGORIES = ["internal", "external", "enterprise"] as const;
const MODES = ["self_operated", "staff_operated"] as const;

export interface CostValues {
  consumables_per_hour: number;
  staff_service_per_hour: number;
  annual_depreciation: number;
  rated_annual_hours: number;
  other_per_hour: number;
  per_sample_fee: number;
  factor_internal: number;
  factor_external: number;
  factor_enterprise: number;
}

export function costValues(c: CostModelOut): CostValues {
  const factor = (category: string) => Number(c.factors[category] ?? 1);
  return {
    consumables_per_hour: Number(c.consumables_per_hour),
    staff_service_per_hour: Number(c.staff_service_per_hour),
    annual_depreciation: Number(c.annual_depreciation),
    rated_annual_hours: c.rated_annual_hours,
    other_per_hour: Number(c.other_per_hour),
    per_sample_fee: Number(c.per_sample_fee),
    factor_internal: factor("internal"),
    factor_external: factor("external"),
    factor_enterprise: factor("enterprise"),
  };
}

/** Amounts go as fixed-point text, so the server's exact decimals see what was typed. */
export function costBody(v: CostValues): CostModelIn {
  const money = (n: number) => n.toFixed(2);
  return {
    consumables_per_hour: money(v.consumables_per_hour),
    staff_service_per_hour: money(v.staff_service_per_hour),
    annual_depreciation: money(v.annual_depreciation),
    rated_annual_hours: v.rated_annual_hours,
    other_per_hour: money(v.other_per_hour),
    per_sample_fee: money(v.per_sample_fee),
    factors: {
      internal: v.factor_internal.toFixed(4),
      external: v.factor_external.toFixed(4),
      enterprise: v.factor_enterprise.toFixed(4),
    },
  };
}

export function formatTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    dateStyle: "medium",
    timeStyle: "short",
  }).format(new Date(iso));
}

/** The published fee per hour, per user category and service mode, as the server computed it. */
function PublishedFees({ cost }: { cost: CostModelOut }) {
  const t = useEditorText();
  const { locale } = useI18n();
  return (
    <div data-testid="published-fees" className="published-fees">
      <h3>{t("cost.published")}</h3>
      <div className="table-scroll">
        <table className="table">
          <thead>
            <tr>
              <th>{t("cost.userCategory")}</th>
              {MODES.map((mode) => (
                <th key={mode}>{t(`editor.mode.${mode}`)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {USER_CATEGORIES.map((category) => (
              <tr key={category} data-testid={`fee-${category}`}>
                <td>{t(`cost.category.${category}`)}</td>
                {MODES.map((mode) => {
                  const fee = cost.hourly_fees[category]?.[mode];
                  return (
                    <td key={mode}>
                      {fee === undefined ? "—" : t("cost.perHour", { value: Number(fee).toFixed(2) })}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">
        {t("cost.depreciationPerHour", { value: Number(cost.depreciation_per_hour).toFixed(2) })} ·{" "}
        {t("cost.publishedAt", { time: formatTime(cost.published_at, locale) })}
      </p>
    </div>
  );
}

/** The cost model behind the fee, and the fee it publishes per user category. */
export function CostModelForm({ instrumentId }: { instrumentId: string }) {
  const t = useEditorText();
  const { message } = App.useApp();
  const cost = useCostModel(instrumentId);
  const save = useSaveCostModel(instrumentId);
  const [form] = Form.useForm<CostValues>();

  if (cost.isPending) return <Loading />;
  if (cost.isError) return <ErrorNotice error={cost.error} />;
  const amount = (name: keyof CostValues, id: TextId, step = 1) => (
    <Form.Item
      name={name}
      label={t(id)}
      rules={[{ required: true, type: "number", min: 0, message: t("editor.required", { field: t(id) }) }]}
    >
      <InputNumber className="editor-number" min={0} precision={2} step={step} />
    </Form.Item>
  );
  const factor = (category: (typeof USER_CATEGORIES)[number]) => (
    <Form.Item
      key={category}
      name={`factor_${category}`}
      label={t(`cost.category.${category}`)}
      rules={[
        {
          required: true,
          type: "number",
          min: 0,
          max: 10,
          message: t("editor.required", { field: t(`cost.category.${category}`) }),
        },
      ]}
    >
      <InputNumber className="editor-number" min={0} max={10} precision={2} step={0.1} prefix="×" />
    </Form.Item>
  );

  return (
    <Form<CostValues>
      form={form}
      layout="vertical"
      className="card editor-form"
      data-testid="cost-form"
      initialValues={costValues(cost.data)}
      onFinish={(values) =>
        save.mutate(costBody(values), {
          onSuccess: (saved) => {
            form.setFieldsValue(costValues(saved));
            void message.success(t("editor.saved"));
          },
        })
      }
    >
      <h2>{t("cost.title")}</h2>
      <p className="muted">{t("cost.hint")}</p>
      {!!save.error && <ErrorNotice error={save.error} />}
      <div className="editor-grid">
        {amount("consumables_per_hour", "cost.consumables")}
        {amount("staff_service_per_hour", "cost.staff")}
        {amount("annual_depreciation", "cost.depreciation", 1000)}
        <Form.Item
          name="rated_annual_hours"
          label={t("cost.ratedHours")}
          rules={[
            {
              required: true,
              type: "number",
              min: 1,
              max: 8784,
              message: t("editor.required", { field: t("cost.ratedHours") }),
            },
          ]}
        >
          <InputNumber className="editor-number" min={1} max={8784} precision={0} />
        </Form.Item>
        {amount("other_per_hour", "cost.other")}
        {amount("per_sample_fee", "cost.perSample")}
      </div>
      <h3>{t("cost.factors")}</h3>
      <div className="editor-grid">{USER_CATEGORIES.map(factor)}</div>
      <Button type="primary" htmlType="submit" loading={save.isPending}>
        {t("cost.save")}
      </Button>
      <PublishedFees cost={cost.data} />
    </Form>
  );
}
