import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { isInstitutionRole, useCurrentUser } from "../auth";
import { type TextId, useText } from "./text";

interface Result {
  organisation: string | null;
  value: number;
  standard_u: number | null;
  publish: boolean;
  score_kind: string | null;
  score: number | null;
  judgement: string | null;
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
  statistics: {
    x_pt: number;
    u_x_pt: number;
    sigma_pt: number | null;
    score: string;
    score_reason: string;
  } | null;
  results: Result[];
  own_result: Result | null;
}

const g = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : value.toPrecision(4);

function Chart({ roundId }: { roundId: string }) {
  const api = useApi();
  const tx = useText();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let objectUrl: string | null = null;
    void api.download(`/pt/rounds/${roundId}/chart.svg`).then(({ blob }) => {
      objectUrl = URL.createObjectURL(blob);
      setUrl(objectUrl);
    });
    return () => {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [api, roundId]);
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
  const submit = useMutation({
    mutationFn: (body: {
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
    onSuccess: done,
  });
  const close = useMutation({
    mutationFn: () => api.call(`/pt/rounds/${round.id}/close`, { method: "POST" }),
    onSuccess: done,
  });
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const u = String(form.get("standard_u") ?? "");
    const expanded = String(form.get("expanded_u") ?? "");
    const k = String(form.get("coverage_k") ?? "");
    submit.mutate({
      value: Number(form.get("value")),
      ...(u ? { standard_u: Number(u) } : {}),
      ...(expanded ? { expanded_u: Number(expanded) } : {}),
      ...(k ? { coverage_k: Number(k) } : {}),
      publish: form.get("publish") === "on",
    });
  };
  const stats = round.statistics;
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
      </p>
      {stats && (
        <>
          <p>{tx("pt.assigned", { x: g(stats.x_pt), u: g(stats.u_x_pt), s: g(stats.sigma_pt) })}</p>
          <p data-testid="pt-reason">
            {tx(`pt.reason.${stats.score}` as TextId, {
              u: g(stats.u_x_pt),
              t: stats.sigma_pt === null ? "—" : g(0.3 * stats.sigma_pt),
            })}
          </p>
          <Chart roundId={round.id} />
        </>
      )}
      {round.own_result && (
        <p data-testid="pt-own">
          {tx("pt.own")}: <ResultLine result={round.own_result} /> ·{" "}
          {tx(round.own_result.publish ? "pt.published" : "pt.unpublished")}
          {manager && round.status === "closed" && (
            <>
              {" "}
              <button
                type="button"
                className="btn"
                disabled={publication.isPending}
                onClick={() => publication.mutate(!round.own_result?.publish)}
              >
                {tx(round.own_result.publish ? "pt.unpublish" : "pt.doPublish")}
              </button>
            </>
          )}
        </p>
      )}
      {publication.isError && <ErrorNotice error={publication.error} />}
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
            {tx("pt.submit")}
          </button>
        </form>
      )}
      {provider && round.status === "open" && (
        <button type="button" className="btn" disabled={close.isPending} onClick={() => close.mutate()}>
          {tx("pt.close")}
        </button>
      )}
      {round.results.length > 0 && (
        <table className="table">
          <caption>{tx("pt.results")}</caption>
          <thead>
            <tr>
              <th>{tx("pt.institution")}</th>
              <th>{tx("pt.value")}</th>
            </tr>
          </thead>
          <tbody>
            {round.results.map((r) => (
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
      {submit.isError && <ErrorNotice error={submit.error} />}
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
  reference_value?: number;
  reference_u?: number;
  sigma_method: string;
  sigma_fixed?: number;
  score_policy: string;
  deadline: string;
}

const optionalNumber = (form: FormData, name: string) => {
  const raw = String(form.get(name) ?? "").trim();
  return raw === "" ? undefined : Number(raw);
};

/** The provider defines a round: measurand, items, how x_pt and σ_pt are set, and the score. */
function NewRoundForm() {
  const api = useApi();
  const tx = useText();
  const queryClient = useQueryClient();
  const [assigned, setAssigned] = useState("reference");
  const [sigma, setSigma] = useState("fixed");
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
      reference_value: assigned === "reference" ? optionalNumber(form, "reference_value") : undefined,
      reference_u: assigned === "reference" ? optionalNumber(form, "reference_u") : undefined,
      sigma_method: sigma,
      sigma_fixed: sigma === "fixed" ? optionalNumber(form, "sigma_fixed") : undefined,
      score_policy: text("score_policy") || "z",
      // The deadline is entered as Beijing time.
      deadline: `${text("deadline")}:00+08:00`,
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
        {assigned === "reference" && (
          <>
            <label className="field">
              <span>{tx("pt.referenceValue")}</span>
              <input name="reference_value" type="number" step="any" required />
            </label>
            <label className="field">
              <span>{tx("pt.referenceU")}</span>
              <input name="reference_u" type="number" step="any" min="0" required />
            </label>
          </>
        )}
        <label className="field">
          <span>{tx("pt.sigmaMethod")}</span>
          <select name="sigma_method" value={sigma} onChange={(e) => setSigma(e.target.value)}>
            <option value="fixed">{tx("pt.sigmaMethod.fixed")}</option>
            <option value="robust">{tx("pt.sigmaMethod.robust")}</option>
          </select>
        </label>
        {sigma === "fixed" && (
          <label className="field">
            <span>{tx("pt.sigmaFixed")}</span>
            <input name="sigma_fixed" type="number" step="any" min="0" required />
          </label>
        )}
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
