import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice } from "../../components/ErrorNotice";
import { type TextId, useText } from "./text";

export interface HandledComplaint {
  id: string;
  tracking_number: string;
  summary: string;
  details: string;
  status: "awaiting_response" | "under_review" | "closed";
  response_due: string;
  response: string | null;
  outcome: string | null;
  decision: string | null;
  complainant: { name: string | null; phone: string | null; email: string | null } | null;
}

const OUTCOMES = ["upheld", "partly_upheld", "not_upheld"] as const;

/** One complaint for the institution to answer or the platform to decide. */
export function HandleComplaint({
  complaint,
  mayAnswer,
  mayDecide,
}: {
  complaint: HandledComplaint;
  mayAnswer: boolean;
  mayDecide: boolean;
}) {
  const api = useApi();
  const tx = useText();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const done = () => queryClient.invalidateQueries({ queryKey: ["complaints"] });
  const answer = useMutation({
    mutationFn: () =>
      api.call(`/complaints/${complaint.id}/response`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ response: text }),
      }),
    onSuccess: done,
  });
  const decide = useMutation({
    mutationFn: (outcome: string) =>
      api.call(`/complaints/${complaint.id}/decision`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ outcome, reason: text }),
      }),
    onSuccess: done,
  });
  const who = complaint.complainant;
  return (
    <article className="card" data-testid="complaint-to-handle">
      <h3>
        {complaint.tracking_number} · {complaint.summary}
      </h3>
      <p>{complaint.details}</p>
      <p>
        {tx("complaints.status")}: {tx(`complaints.status.${complaint.status}` as TextId)} ·{" "}
        {tx("complaints.due")}: {complaint.response_due.slice(0, 10)}
      </p>
      {who && (
        <p>
          {tx("complaints.complainant")}:{" "}
          {[who.name, who.phone, who.email].filter(Boolean).join(" / ") || "—"}
        </p>
      )}
      {complaint.response && (
        <p>
          {tx("complaints.response")}: {complaint.response}
        </p>
      )}
      {complaint.decision && <p>{complaint.decision}</p>}
      {((mayAnswer && complaint.status === "awaiting_response") ||
        (mayDecide && complaint.status !== "closed")) && (
        <label>
          {mayDecide ? tx("complaints.reason") : tx("complaints.response")}
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={3} maxLength={5000} />
        </label>
      )}
      {mayAnswer && complaint.status === "awaiting_response" && (
        <button
          type="button"
          className="btn"
          disabled={!text || answer.isPending}
          onClick={() => answer.mutate()}
        >
          {tx("complaints.answer")}
        </button>
      )}
      {mayDecide &&
        complaint.status !== "closed" &&
        OUTCOMES.map((outcome) => (
          <button
            key={outcome}
            type="button"
            className="btn"
            disabled={!text || decide.isPending}
            onClick={() => decide.mutate(outcome)}
          >
            {tx(`complaints.outcome.${outcome}` as TextId)}
          </button>
        ))}
      {answer.isError && <ErrorNotice error={answer.error} />}
      {decide.isError && <ErrorNotice error={decide.error} />}
    </article>
  );
}
