import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { saveBlob } from "../../lib/saveBlob";
import { type TextId, useText } from "./text";

export interface HandledComplaint {
  id: string;
  tracking_number: string;
  summary: string;
  details: string;
  status: "awaiting_response" | "under_review" | "closed";
  subject_kind: "institution" | "report" | "booking";
  report_number: string | null;
  booking_id: string | null;
  attachments: { id: string; filename: string; content_type: string; size_bytes: number }[];
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
  // The moment the card was first shown is "now" for the deadline.
  const [shownAt] = useState(() => Date.now());
  const overdue =
    complaint.status === "awaiting_response" && new Date(complaint.response_due).getTime() < shownAt;
  const [fetching, setFetching] = useState<string | null>(null);
  const open = async (a: HandledComplaint["attachments"][number]) => {
    setFetching(a.id);
    try {
      const { blob } = await api.download(`/complaints/${complaint.id}/attachments/${a.id}`);
      saveBlob(blob, a.filename);
    } finally {
      setFetching(null);
    }
  };
  return (
    <article className="card" data-testid="complaint-to-handle">
      <h3>
        {complaint.tracking_number} · {complaint.summary}
      </h3>
      <p data-testid="complaint-subject">
        {tx("complaints.subject")}: {tx(`complaints.about.${complaint.subject_kind}` as TextId)}
        {complaint.report_number && ` ${complaint.report_number}`}
        {complaint.booking_id && ` ${complaint.booking_id}`}
      </p>
      <p>{complaint.details}</p>
      <p>
        {tx("complaints.status")}: {tx(`complaints.status.${complaint.status}` as TextId)} ·{" "}
        {tx("complaints.due")}: {formatShanghaiTime(complaint.response_due)}
        {overdue && (
          <strong data-testid="complaint-overdue">
            {" "}
            · {tx(mayDecide ? "complaints.overdue.platform" : "complaints.overdue")}
          </strong>
        )}
      </p>
      {complaint.attachments.length > 0 && (
        <p>
          {tx("complaints.attachmentList")}:{" "}
          {complaint.attachments.map((a) => (
            <button
              key={a.id}
              type="button"
              className="link-button"
              disabled={fetching === a.id}
              onClick={() => void open(a)}
            >
              {a.filename} ({Math.ceil(a.size_bytes / 1024)} KiB)
            </button>
          ))}
        </p>
      )}
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
      {complaint.outcome && (
        <p data-testid="complaint-outcome">
          <strong>{tx(`complaints.outcome.${complaint.outcome}` as TextId)}</strong>
          {complaint.decision && `：${complaint.decision}`}
        </p>
      )}
      {((mayAnswer && complaint.status === "awaiting_response") ||
        (mayDecide && complaint.status !== "closed")) && (
        <label className="field">
          <span>{mayDecide ? tx("complaints.reason") : tx("complaints.response")}</span>
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
