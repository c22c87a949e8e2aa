import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Checkbox, Form, Input, InputNumber, Select } from "antd";
import type { Rule } from "antd/es/form";
import type { Dayjs } from "dayjs";
import { useEffect, useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { MinutePicker } from "../../components/MinutePicker";
import { formatShanghaiTime } from "../../lib/format";
import { isInstitutionRole, useCurrentUser } from "../auth";
import { pickedToIso } from "../calibration";
import { type TextId, useText } from "./text";

interface Result {
  item: string;
  organisation: string | null;
  value: number;
  standard_u: number | null;
  publish: boolean;
  score_kind: string | null;
  score: number | null;
  judgement: string | null;
}

interface Statistics {
  x_pt: number;
  u_x_pt: number;
  sigma_pt: number | null;
  participants: number;
  score: string;
  score_reason: string;
}

/** One test item of a round, with its own assigned value, statistics and results. */
interface Item {
  key: string;
  name: string;
  reference_value: number | null;
  reference_u: number | null;
  sigma_fixed: number | null;
  statistics: Statistics | null;
  results: Result[];
  own_result: Result | null;
}

interface Round {
  id: string;
  code: string;
  title: string;
  measurand: string;
  unit: string;
  items: string;
  deadline: string;
  status: "open" | "closed";
  test_items: Item[];
  own_results: Result[];
}

const g = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : value.toPrecision(4);

function Chart({ roundId, item }: { roundId: string; item: string }) {
  const api = useApi();
  const tx = useText();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let objectUrl: string | null = null;
    void api.download(`/pt/rounds/${roundId}/chart.svg?item=${encodeURIComponent(item)}`).then(({ blob }) => {
      objectUrl = URL.createObjectURL(blob);
      setUrl(objectUrl);
    });
    return () => {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [api, roundId, item]);
  return url ? <img src={url} alt={tx("pt.chart")} style={{ maxWidth: "100%" }} /> : null;
}

function ResultLine({ result }: { result: Result }) {
  const tx = useText();
  return (
    <span>
      {result.value}
      {result.score !== null && (
        <>
          {" · "}
          {result.score_kind ? tx(`pt.kind.${result.score_kind}` as TextId) : tx("pt.score")} ={" "}
          {result.score.toFixed(2)} ·{" "}
          <strong data-testid="pt-judgement">{tx(`pt.judgement.${result.judgement}` as TextId)}</strong>
        </>
      )}
    </span>
  );
}

/** An institution's result for one item, as the form holds it. */
interface ResultValues {
  value: number;
  standard_u?: number | null;
  expanded_u?: number | null;
  coverage_k?: number | null;
  publish?: boolean;
}

/** One item of a round: x_pt, σ_pt, the score used and why, the chart, own result and the
 * results others published; an institution submits its result for this item here. */
function ItemSection({
  round,
  item,
  several,
  institution,
}: {
  round: Round;
  item: Item;
  several: boolean;
  institution: boolean;
}) {
  const api = useApi();
  const tx = useText();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const submit = useMutation({
    mutationFn: (body: {
      item: string;
      value: number;
      standard_u?: number;
      expanded_u?: number;
      coverage_k?: number;
      publish: boolean;
    }) =>
      api.call(`/pt/rounds/${round.id}/my-result`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["pt"] }),
  });
  const [form] = Form.useForm<ResultValues>();
  const onFinish = (values: ResultValues) =>
    submit.mutate(
      {
        item: item.key,
        value: values.value,
        ...(values.standard_u != null ? { standard_u: values.standard_u } : {}),
        ...(values.expanded_u != null ? { expanded_u: values.expanded_u } : {}),
        ...(values.coverage_k != null ? { coverage_k: values.coverage_k } : {}),
        publish: !!values.publish,
      },
      {
        onSuccess: () => {
          form.resetFields();
          void message.success(tx("pt.submitted"));
        },
      },
    );
  const notNegative = (id: TextId): Rule => ({
    type: "number",
    min: 0,
    message: tx("pt.notNegative", { field: tx(id) }),
  });
  const stats = item.statistics;
  return (
    <section data-testid="pt-item" aria-label={tx("pt.itemHeading", { key: item.key, name: item.name })}>
      {several && <h3>{tx("pt.itemHeading", { key: item.key, name: item.name })}</h3>}
      {stats && (
        <>
          <p>{tx("pt.assigned", { x: g(stats.x_pt), u: g(stats.u_x_pt), s: g(stats.sigma_pt) })}</p>
          <p data-testid="pt-reason">
            {tx(`pt.reason.${stats.score}` as TextId, {
              u: g(stats.u_x_pt),
              t: stats.sigma_pt === null ? "—" : g(0.3 * stats.sigma_pt),
            })}
          </p>
          <Chart roundId={round.id} item={item.key} />
        </>
      )}
      {round.status === "closed" && !stats && <p>{tx("pt.itemNoResults")}</p>}
      {item.own_result && (
        <p data-testid="pt-own">
          {tx("pt.own")}: <ResultLine result={item.own_result} />
        </p>
      )}
      {institution && round.status === "open" && (
        <Form<ResultValues>
          form={form}
          name={`pt-result-${round.id}-${item.key}`}
          layout="vertical"
          className="form-grid"
          onFinish={onFinish}
        >
          <Form.Item
            name="value"
            label={`${tx("pt.value")} (${round.unit})`}
            rules={[{ required: true, message: tx("pt.required", { field: tx("pt.value") }) }]}
          >
            <InputNumber style={{ width: "100%" }} />
          </Form.Item>
          <p style={{ gridColumn: "1 / -1", margin: 0 }}>{tx("pt.uHint")}</p>
          <Form.Item name="standard_u" label={tx("pt.u")} rules={[notNegative("pt.u")]}>
            <InputNumber min={0} style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item name="expanded_u" label={tx("pt.U")} rules={[notNegative("pt.U")]}>
            <InputNumber min={0} style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item
            name="coverage_k"
            label={tx("pt.k")}
            rules={[{ type: "number", min: 0, max: 10, message: tx("pt.kRange") }]}
          >
            <InputNumber min={0} max={10} style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item name="publish" valuePropName="checked">
            <Checkbox>{tx("pt.publish")}</Checkbox>
          </Form.Item>
          <Form.Item>
            <Button htmlType="submit" loading={submit.isPending}>
              {tx(item.own_result ? "pt.replace" : "pt.submit")}
            </Button>
          </Form.Item>
        </Form>
      )}
      {submit.isError && <ErrorNotice error={submit.error} />}
      {item.results.length > 0 && (
        <table className="table">
          <caption>{tx("pt.results")}</caption>
          <thead>
            <tr>
              <th>{tx("pt.institution")}</th>
              <th>{tx("pt.value")}</th>
            </tr>
          </thead>
          <tbody>
            {item.results.map((r) => (
              <tr key={r.organisation ?? ""}>
                <td>{r.organisation}</td>
                <td>
                  <ResultLine result={r} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RoundCard({
  round,
  institution,
  manager,
  provider,
}: {
  round: Round;
  institution: boolean;
  manager: boolean;
  provider: boolean;
}) {
  const api = useApi();
  const tx = useText();
  const queryClient = useQueryClient();
  const done = () => queryClient.invalidateQueries({ queryKey: ["pt"] });
  const publication = useMutation({
    mutationFn: (publish: boolean) =>
      api.call(`/pt/rounds/${round.id}/my-result/publish`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ publish }),
      }),
    onSuccess: done,
  });
  const close = useMutation({
    mutationFn: () => api.call(`/pt/rounds/${round.id}/close`, { method: "POST" }),
    onSuccess: done,
  });
  const several = round.test_items.length > 1;
  const published = round.own_results.length > 0 && round.own_results.every((r) => r.publish);
  return (
    <article className="card" data-testid="pt-round">
      <h2>
        {round.code} · {round.title}
      </h2>
      <p>
        {round.measurand} ({round.unit}) · {round.items}
      </p>
      <p>
        {tx(`pt.status.${round.status}` as TextId)} · {tx("pt.deadline")}:{" "}
        {formatShanghaiTime(round.deadline)}
        {several && <> · {tx("pt.itemCount", { n: round.test_items.length })}</>}
      </p>
      {round.own_results.length > 0 && (
        <p data-testid="pt-publication">
          {tx(published ? "pt.published" : "pt.unpublished")}
          {manager && round.status === "closed" && (
            <>
              {" "}
              <button
                type="button"
                className="btn"
                disabled={publication.isPending}
                onClick={() => publication.mutate(!published)}
              >
                {tx(published ? "pt.unpublish" : "pt.doPublish")}
              </button>
            </>
          )}
        </p>
      )}
      {publication.isError && <ErrorNotice error={publication.error} />}
      {round.test_items.map((item) => (
        <ItemSection key={item.key} round={round} item={item} several={several} institution={institution} />
      ))}
      {provider && round.status === "open" && (
        <button type="button" className="btn" disabled={close.isPending} onClick={() => close.mutate()}>
          {tx("pt.close")}
        </button>
      )}
      {close.isError && <ErrorNotice error={close.error} />}
    </article>
  );
}

interface RoundBody {
  code: string;
  title: string;
  title_en?: string;
  measurand: string;
  unit: string;
  items: string;
  assigned_method: string;
  sigma_method: string;
  score_policy: string;
  deadline: string;
  test_items: {
    key: string;
    name: string;
    reference_value?: number;
    reference_u?: number;
    sigma_fixed?: number;
  }[];
}

/** An item row of the new-round form. */
interface ItemValues {
  key: string;
  name: string;
  reference_value?: number | null;
  reference_u?: number | null;
  sigma_fixed?: number | null;
}

/** The new-round form's values; the deadline is a Beijing wall time. */
interface RoundValues {
  code: string;
  title: string;
  title_en?: string;
  measurand: string;
  unit: string;
  items: string;
  assigned_method: "reference" | "consensus";
  sigma_method: "fixed" | "robust";
  score_policy: "z" | "zeta" | "en";
  deadline: Dayjs;
  test_items: ItemValues[];
}

/** The next unused letter key: A, B, C … */
const nextKey = (items: ItemValues[]) => {
  const used = new Set(items.map((i) => i.key));
  for (let code = 65; code <= 90; code++) {
    const key = String.fromCharCode(code);
    if (!used.has(key)) return key;
  }
  return String(items.length + 1);
};

const optional = (value: number | null | undefined) => (value == null ? undefined : value);

/** The provider's items: a key, a name, and per item x_pt with u(x_pt) and σ_pt where fixed. */
function ItemsEditor({ reference, fixed }: { reference: boolean; fixed: boolean }) {
  const tx = useText();
  const required = (id: TextId): Rule => ({ required: true, message: tx("pt.required", { field: tx(id) }) });
  const notNegative = (id: TextId): Rule => ({
    type: "number",
    min: 0,
    message: tx("pt.notNegative", { field: tx(id) }),
  });
  return (
    <fieldset style={{ gridColumn: "1 / -1" }} data-testid="pt-items-editor">
      <legend>{tx("pt.testItems")}</legend>
      <Form.List name="test_items">
        {(fields, { add, remove }, { errors }) => (
          <>
            {fields.map((field, index) => (
              <div
                key={field.key}
                className="form-grid"
                role="group"
                aria-label={tx("pt.itemRow", { n: index + 1 })}
              >
                <Form.Item
                  name={[field.name, "key"]}
                  label={tx("pt.itemKey")}
                  rules={[
                    { ...required("pt.itemKey"), whitespace: true },
                    { pattern: /^[A-Za-z0-9_.-]+$/, message: tx("pt.keyPattern") },
                  ]}
                >
                  <Input maxLength={16} />
                </Form.Item>
                <Form.Item
                  name={[field.name, "name"]}
                  label={tx("pt.itemName")}
                  rules={[{ ...required("pt.itemName"), whitespace: true }]}
                >
                  <Input maxLength={500} />
                </Form.Item>
                {reference && (
                  <>
                    <Form.Item
                      name={[field.name, "reference_value"]}
                      label={tx("pt.referenceValue")}
                      rules={[required("pt.referenceValue")]}
                    >
                      <InputNumber style={{ width: "100%" }} />
                    </Form.Item>
                    <Form.Item
                      name={[field.name, "reference_u"]}
                      label={tx("pt.referenceU")}
                      rules={[required("pt.referenceU"), notNegative("pt.referenceU")]}
                    >
                      <InputNumber min={0} style={{ width: "100%" }} />
                    </Form.Item>
                  </>
                )}
                {fixed && (
                  <Form.Item
                    name={[field.name, "sigma_fixed"]}
                    label={tx("pt.sigmaFixed")}
                    rules={[required("pt.sigmaFixed"), notNegative("pt.sigmaFixed")]}
                  >
                    <InputNumber min={0} style={{ width: "100%" }} />
                  </Form.Item>
                )}
                {fields.length > 1 && (
                  <Form.Item label=" ">
                    <Form.Item noStyle shouldUpdate>
                      {({ getFieldValue }) => (
                        <Button onClick={() => remove(field.name)}>
                          {tx("pt.removeItem", {
                            key:
                              (getFieldValue(["test_items", field.name, "key"]) as string | undefined) ?? "",
                          })}
                        </Button>
                      )}
                    </Form.Item>
                  </Form.Item>
                )}
              </div>
            ))}
            <Form.ErrorList errors={errors} />
            {fields.length < 26 && (
              <Form.Item noStyle shouldUpdate>
                {({ getFieldValue }) => (
                  <Button
                    onClick={() =>
                      add({
                        key: nextKey((getFieldValue("test_items") as ItemValues[] | undefined) ?? []),
                        name: "",
                      })
                    }
                  >
                    {tx("pt.addItem")}
                  </Button>
                )}
              </Form.Item>
            )}
          </>
        )}
      </Form.List>
    </fieldset>
  );
}

const NEW_ROUND: Partial<RoundValues> = {
  assigned_method: "reference",
  sigma_method: "fixed",
  score_policy: "z",
  test_items: [{ key: "A", name: "" }],
};

/** The provider defines a round: measurand, items, how x_pt and σ_pt are set, and the score. */
function NewRoundForm() {
  const api = useApi();
  const tx = useText();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<RoundValues>();
  const assigned = Form.useWatch("assigned_method", form) ?? "reference";
  const sigma = Form.useWatch("sigma_method", form) ?? "fixed";
  const create = useMutation({
    mutationFn: (body: RoundBody) =>
      api.call<Round>("/pt/rounds", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["pt"] }),
  });
  // A typed text must have more than spaces; a picked value just has to be there (a rule naming
  // `whitespace` is checked as a string, which a picked date is not).
  const required = (id: TextId, pick = false): Rule =>
    pick
      ? { required: true, message: tx("pt.requiredPick", { field: tx(id) }) }
      : { required: true, whitespace: true, message: tx("pt.required", { field: tx(id) }) };
  const onFinish = (v: RoundValues) => {
    const body: RoundBody = {
      code: v.code.trim(),
      title: v.title.trim(),
      ...(v.title_en?.trim() ? { title_en: v.title_en.trim() } : {}),
      measurand: v.measurand.trim(),
      unit: v.unit.trim(),
      items: v.items.trim(),
      assigned_method: v.assigned_method,
      sigma_method: v.sigma_method,
      score_policy: v.score_policy,
      // The deadline is picked as Beijing time.
      deadline: pickedToIso(v.deadline),
      test_items: v.test_items.map((item) => ({
        key: item.key.trim(),
        name: item.name.trim(),
        ...(v.assigned_method === "reference"
          ? { reference_value: optional(item.reference_value), reference_u: optional(item.reference_u) }
          : {}),
        ...(v.sigma_method === "fixed" ? { sigma_fixed: optional(item.sigma_fixed) } : {}),
      })),
    };
    create.mutate(body, {
      onSuccess: () => {
        form.resetFields();
        void message.success(tx("pt.created", { code: body.code }));
      },
    });
  };
  return (
    <details className="card" data-testid="pt-new-round">
      <summary>{tx("pt.new")}</summary>
      <Form<RoundValues>
        form={form}
        name="pt-round"
        layout="vertical"
        className="form-grid"
        initialValues={NEW_ROUND}
        onValuesChange={(changed: Partial<RoundValues>) => {
          // ζ and En need the reference value's uncertainty: with a consensus value, z it is.
          if (changed.assigned_method === "consensus" && form.getFieldValue("score_policy") !== "z")
            form.setFieldValue("score_policy", "z");
        }}
        onFinish={onFinish}
      >
        <Form.Item name="code" label={tx("pt.code")} rules={[required("pt.code")]}>
          <Input maxLength={64} />
        </Form.Item>
        <Form.Item name="title" label={tx("pt.roundTitle")} rules={[required("pt.roundTitle")]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="title_en" label={tx("pt.roundTitleEn")}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="measurand" label={tx("pt.measurand")} rules={[required("pt.measurand")]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="unit" label={tx("pt.unit")} rules={[required("pt.unit")]}>
          <Input maxLength={32} />
        </Form.Item>
        <Form.Item name="items" label={tx("pt.items")} rules={[required("pt.items")]}>
          <Input.TextArea maxLength={2000} rows={2} />
        </Form.Item>
        <Form.Item name="assigned_method" label={tx("pt.assignedMethod")}>
          <Select
            options={[
              { value: "reference", label: tx("pt.assignedMethod.reference") },
              { value: "consensus", label: tx("pt.assignedMethod.consensus") },
            ]}
          />
        </Form.Item>
        <Form.Item name="sigma_method" label={tx("pt.sigmaMethod")}>
          <Select
            options={[
              { value: "fixed", label: tx("pt.sigmaMethod.fixed") },
              { value: "robust", label: tx("pt.sigmaMethod.robust") },
            ]}
          />
        </Form.Item>
        <Form.Item name="score_policy" label={tx("pt.policy")}>
          <Select
            options={[
              { value: "z", label: tx("pt.policy.z") },
              ...(assigned === "reference"
                ? [
                    { value: "zeta", label: tx("pt.policy.zeta") },
                    { value: "en", label: tx("pt.policy.en") },
                  ]
                : []),
            ]}
          />
        </Form.Item>
        <Form.Item name="deadline" label={tx("pt.deadline")} rules={[required("pt.deadline", true)]}>
          <MinutePicker />
        </Form.Item>
        <ItemsEditor reference={assigned === "reference"} fixed={sigma === "fixed"} />
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            {tx("pt.create")}
          </Button>
        </Form.Item>
        {create.isError && <ErrorNotice error={create.error} />}
      </Form>
    </details>
  );
}

/** Rounds of proficiency testing: institutions submit and read their own report; the provider closes. */
export function ProficiencyPage() {
  const api = useApi();
  const tx = useText();
  const me = useCurrentUser();
  const rounds = useQuery({ queryKey: ["pt", "rounds"], queryFn: () => api.call<Round[]>("/pt/rounds") });
  if (rounds.isPending || me.isPending) return <Loading />;
  if (rounds.isError) return <ErrorNotice error={rounds.error} />;
  const role = me.data?.role;
  return (
    <section>
      <h1>{tx("pt.title")}</h1>
      {role === "platform_admin" && <NewRoundForm />}
      {rounds.data.length === 0 && <p>{tx("pt.none")}</p>}
      {rounds.data.map((round) => (
        <RoundCard
          key={round.id}
          round={round}
          institution={isInstitutionRole(role)}
          manager={role === "lab_manager"}
          provider={role === "platform_admin"}
        />
      ))}
    </section>
  );
}
