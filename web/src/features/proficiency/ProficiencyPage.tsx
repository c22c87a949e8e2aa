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
  return url ? <img src={url} alt="z" /> : null;
}

function ResultLine({ result }: { result: Result }) {
  const tx = useText();
  return (
    <span>
      {result.value}
      {result.score !== null && (
        <>
          {" · "}
          {tx("pt.score")} {result.score_kind} = {result.score.toFixed(2)} ·{" "}
          <strong data-testid="pt-judgement">{tx(`pt.judgement.${result.judgement}` as TextId)}</strong>
        </>
      )}
    </span>
  );
}

function RoundCard({
  round,
  institution,
  provider,
}: {
  round: Round;
  institution: boolean;
  provider: boolean;
}) {
  const api = useApi();
  const tx = useText();
  const queryClient = useQueryClient();
  const done = () => queryClient.invalidateQueries({ queryKey: ["pt"] });
  const submit = useMutation({
    mutationFn: (body: { value: number; standard_u?: number; publish: boolean }) =>
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
    submit.mutate({
      value: Number(form.get("value")),
      ...(u ? { standard_u: Number(u) } : {}),
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
          <p>{stats.score_reason}</p>
          <Chart roundId={round.id} />
        </>
      )}
      {round.own_result && (
        <p data-testid="pt-own">
          {tx("pt.own")}: <ResultLine result={round.own_result} />
        </p>
      )}
      {institution && round.status === "open" && (
        <form className="form" onSubmit={onSubmit}>
          <label>
            {tx("pt.value")} ({round.unit})
            <input name="value" type="number" step="any" required />
          </label>
          <label>
            {tx("pt.u")}
            <input name="standard_u" type="number" step="any" min="0" />
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
      {rounds.data.length === 0 && <p>{tx("pt.none")}</p>}
      {rounds.data.map((round) => (
        <RoundCard
          key={round.id}
          round={round}
          institution={isInstitutionRole(role)}
          provider={role === "platform_admin"}
        />
      ))}
    </section>
  );
}
