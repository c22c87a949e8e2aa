import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { isInstitutionRole, useCurrentUser } from "../auth";
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
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const u = String(form.get("standard_u") ?? "");
    const expanded = String(form.get("expanded_u") ?? "");
    const k = String(form.get("coverage_k") ?? "");
    submit.mutate({
      item: item.key,
      value: Number(form.get("value")),
      ...(u ? { standard_u: Number(u) } : {}),
      ...(expanded ? { expanded_u: Number(expanded) } : {}),
      ...(k ? { coverage_k: Number(k) } : {}),
      publish: form.get("publish") === "on",
    });
  };
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
        <form className="form-grid" onSubmit={onSubmit}>
          <label className="field">
            <span>
              {tx("pt.value")} ({round.unit})
            </span>
            <input name="value" type="number" step="any" required />
          </label>
          <p style={{ gridColumn: "1 / -1", margin: 0 }}>{tx("pt.uHint")}</p>
          <label className="field">
            <span>{tx("pt.u")}</span>
            <input name="standard_u" type="number" step="any" min="0" />
          </label>
          <label className="field">
            <span>{tx("pt.U")}</span>
            <input name="expanded_u" type="number" step="any" min="0" />
          </label>
          <label className="field">
            <span>{tx("pt.k")}</span>
            <input name="coverage_k" type="number" step="any" min="0" max="10" />
          </label>
          <label>
            <input name="publish" type="checkbox" /> {tx("pt.publish")}
          </label>
          <button type="submit" className="btn" disabled={submit.isPending}>
            {tx(item.own_result ? "pt.replace" : "pt.submit")}
          </button>
        </form>
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

/** An item row of the new-round form, as typed. */
interface ItemDraft {
  /** Identifies the row while its key is being typed. */
  uid: number;
  key: string;
  name: string;
  reference_value: string;
  reference_u: string;
  sigma_fixed: string;
}

let draftCount = 0;

const blankItem = (key: string): ItemDraft => ({
  uid: ++draftCount,
  key,
  name: "",
  reference_value: "",
  reference_u: "",
  sigma_fixed: "",
});

const optionalNumber = (raw: string) => (raw.trim() === "" ? undefined : Number(raw));

/** The next unused letter key: A, B, C … */
const nextKey = (items: ItemDraft[]) => {
  const used = new Set(items.map((i) => i.key));
  for (let code = 65; code <= 90; code++) {
    const key = String.fromCharCode(code);
    if (!used.has(key)) return key;
  }
  return String(items.length + 1);
};

/** A required decimal of an item (x_pt, u(x_pt), σ_pt), any precision. */
function NumberField({
  label,
  value,
  nonNegative = false,
  onChange,
}: {
  label: string;
  value: string;
  nonNegative?: boolean;
  onChange: (value: string) => void;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="number"
        step="any"
        min={nonNegative ? "0" : undefined}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

/** The provider's items: a key, a name, and per item x_pt with u(x_pt) and σ_pt where fixed. */
function ItemsEditor({
  items,
  setItems,
  reference,
  fixed,
}: {
  items: ItemDraft[];
  setItems: (items: ItemDraft[]) => void;
  reference: boolean;
  fixed: boolean;
}) {
  const tx = useText();
  const change = (index: number, field: Exclude<keyof ItemDraft, "uid">, value: string) =>
    setItems(items.map((item, i) => (i === index ? { ...item, [field]: value } : item)));
  return (
    <fieldset style={{ gridColumn: "1 / -1" }} data-testid="pt-items-editor">
      <legend>{tx("pt.testItems")}</legend>
      {items.map((item, index) => (
        <div
          key={item.uid}
          className="form-grid"
          role="group"
          aria-label={tx("pt.itemRow", { n: index + 1 })}
        >
          <label className="field">
            <span>{tx("pt.itemKey")}</span>
            <input
              value={item.key}
              required
              maxLength={16}
              pattern="[A-Za-z0-9_.\-]+"
              onChange={(e) => change(index, "key", e.target.value)}
            />
          </label>
          <label className="field">
            <span>{tx("pt.itemName")}</span>
            <input
              value={item.name}
              required
              maxLength={500}
              onChange={(e) => change(index, "name", e.target.value)}
            />
          </label>
          {reference && (
            <>
              <NumberField
                label={tx("pt.referenceValue")}
                value={item.reference_value}
                onChange={(v) => change(index, "reference_value", v)}
              />
              <NumberField
                label={tx("pt.referenceU")}
                value={item.reference_u}
                nonNegative
                onChange={(v) => change(index, "reference_u", v)}
              />
            </>
          )}
          {fixed && (
            <NumberField
              label={tx("pt.sigmaFixed")}
              value={item.sigma_fixed}
              nonNegative
              onChange={(v) => change(index, "sigma_fixed", v)}
            />
          )}
          {items.length > 1 && (
            <button
              type="button"
              className="btn"
              onClick={() => setItems(items.filter((_, i) => i !== index))}
            >
              {tx("pt.removeItem", { key: item.key })}
            </button>
          )}
        </div>
      ))}
      {items.length < 26 && (
        <button type="button" className="btn" onClick={() => setItems([...items, blankItem(nextKey(items))])}>
          {tx("pt.addItem")}
        </button>
      )}
    </fieldset>
  );
}

/** The provider defines a round: measurand, items, how x_pt and σ_pt are set, and the score. */
function NewRoundForm() {
  const api = useApi();
  const tx = useText();
  const queryClient = useQueryClient();
  const [assigned, setAssigned] = useState("reference");
  const [sigma, setSigma] = useState("fixed");
  const [items, setItems] = useState<ItemDraft[]>([blankItem("A")]);
  const create = useMutation({
    mutationFn: (body: RoundBody) =>
      api.call<Round>("/pt/rounds", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["pt"] }),
  });
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    create.mutate({
      code: text("code"),
      title: text("title"),
      ...(text("title_en") ? { title_en: text("title_en") } : {}),
      measurand: text("measurand"),
      unit: text("unit"),
      items: text("items"),
      assigned_method: assigned,
      sigma_method: sigma,
      score_policy: text("score_policy") || "z",
      // The deadline is entered as Beijing time.
      deadline: `${text("deadline")}:00+08:00`,
      test_items: items.map((item) => ({
        key: item.key.trim(),
        name: item.name.trim(),
        ...(assigned === "reference"
          ? {
              reference_value: optionalNumber(item.reference_value),
              reference_u: optionalNumber(item.reference_u),
            }
          : {}),
        ...(sigma === "fixed" ? { sigma_fixed: optionalNumber(item.sigma_fixed) } : {}),
      })),
    });
  };
  return (
    <details className="card" data-testid="pt-new-round">
      <summary>{tx("pt.new")}</summary>
      <form className="form-grid" onSubmit={onSubmit}>
        <label className="field">
          <span>{tx("pt.code")}</span>
          <input name="code" required maxLength={64} />
        </label>
        <label className="field">
          <span>{tx("pt.roundTitle")}</span>
          <input name="title" required maxLength={200} />
        </label>
        <label className="field">
          <span>{tx("pt.roundTitleEn")}</span>
          <input name="title_en" maxLength={200} />
        </label>
        <label className="field">
          <span>{tx("pt.measurand")}</span>
          <input name="measurand" required maxLength={200} />
        </label>
        <label className="field">
          <span>{tx("pt.unit")}</span>
          <input name="unit" required maxLength={32} />
        </label>
        <label className="field">
          <span>{tx("pt.items")}</span>
          <textarea name="items" required maxLength={2000} rows={2} />
        </label>
        <label className="field">
          <span>{tx("pt.assignedMethod")}</span>
          <select name="assigned_method" value={assigned} onChange={(e) => setAssigned(e.target.value)}>
            <option value="reference">{tx("pt.assignedMethod.reference")}</option>
            <option value="consensus">{tx("pt.assignedMethod.consensus")}</option>
          </select>
        </label>
        <label className="field">
          <span>{tx("pt.sigmaMethod")}</span>
          <select name="sigma_method" value={sigma} onChange={(e) => setSigma(e.target.value)}>
            <option value="fixed">{tx("pt.sigmaMethod.fixed")}</option>
            <option value="robust">{tx("pt.sigmaMethod.robust")}</option>
          </select>
        </label>
        <label className="field">
          <span>{tx("pt.policy")}</span>
          <select name="score_policy" defaultValue="z">
            <option value="z">{tx("pt.policy.z")}</option>
            {assigned === "reference" && <option value="zeta">{tx("pt.policy.zeta")}</option>}
            {assigned === "reference" && <option value="en">{tx("pt.policy.en")}</option>}
          </select>
        </label>
        <label className="field">
          <span>{tx("pt.deadline")}</span>
          <input name="deadline" type="datetime-local" required />
        </label>
        <ItemsEditor
          items={items}
          setItems={setItems}
          reference={assigned === "reference"}
          fixed={sigma === "fixed"}
        />
        <button type="submit" className="btn" disabled={create.isPending}>
          {tx("pt.create")}
        </button>
        {create.isError && <ErrorNotice error={create.error} />}
      </form>
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
