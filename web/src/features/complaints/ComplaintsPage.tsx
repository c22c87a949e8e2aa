import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { isInstitutionRole, useCurrentUser } from "../auth";
import { type HandledComplaint, HandleComplaint } from "./HandleComplaint";
import { type TextId, useText } from "./text";

interface Institution {
  id: string;
  name: string;
  name_en: string | null;
  city: string | null;
}

interface Complaint extends HandledComplaint {
  organisation_id: string;
}

/**
 * Filing a complaint while logged in and following one's own; lab managers answer the
 * complaints about their institution, platform administrators decide.
 */
export function ComplaintsPage() {
  const api = useApi();
  const tx = useText();
  const me = useCurrentUser();
  const queryClient = useQueryClient();
  const [anonymous, setAnonymous] = useState(false);
  const [subject, setSubject] = useState("institution");
  const institutions = useQuery({
    queryKey: ["complaints", "institutions"],
    queryFn: () => api.call<Institution[]>("/complaints/institutions"),
  });
  const mine = useQuery({
    queryKey: ["complaints", "mine"],
    queryFn: () => api.call<Complaint[]>("/complaints"),
  });
  const file = useMutation({
    mutationFn: (form: FormData) =>
      api.call<{ tracking_number: string }>("/complaints", { method: "POST", body: form }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["complaints", "mine"] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    form.set("anonymous", anonymous ? "true" : "false");
    for (const [key, value] of [...form.entries()]) {
      if (value === "" || (value instanceof File && !value.name)) form.delete(key);
    }
    file.mutate(form);
  };
  const role = me.data?.role;
  const mayAnswer = role === "lab_manager";
  const mayDecide = role === "platform_admin";
  const handling = (mine.data ?? []).filter(
    (c) => mayDecide || (isInstitutionRole(role) && c.organisation_id === me.data?.organisation.id),
  );
  const own = (mine.data ?? []).filter((c) => !handling.includes(c));
  if (institutions.isPending) return <Loading />;
  if (institutions.isError) return <ErrorNotice error={institutions.error} />;
  return (
    <section>
      <h1>{tx("complaints.title")}</h1>
      <h2>{tx("complaints.new")}</h2>
      <form className="form" onSubmit={submit} aria-label={tx("complaints.new")}>
        <label>
          {tx("complaints.institution")}
          <select name="organisation_id" required>
            {institutions.data.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {tx("complaints.subject")}
          <select name="subject_kind" value={subject} onChange={(e) => setSubject(e.target.value)}>
            <option value="institution">{tx("complaints.subject.institution")}</option>
            <option value="report">{tx("complaints.subject.report")}</option>
          </select>
        </label>
        {subject === "report" && (
          <label>
            {tx("complaints.reportNumber")}
            <input name="report_number" required />
          </label>
        )}
        <label>
          {tx("complaints.summary")}
          <input name="summary" required maxLength={200} />
        </label>
        <label>
          {tx("complaints.details")}
          <textarea name="details" required maxLength={5000} rows={5} />
        </label>
        <label>
          <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous(e.target.checked)} />
          {tx("complaints.anonymous")}
        </label>
        {!anonymous && (
          <>
            <label>
              {tx("complaints.phone")}
              <input name="contact_phone" />
            </label>
            <label>
              {tx("complaints.email")}
              <input name="contact_email" type="email" />
            </label>
          </>
        )}
        <label>
          {tx("complaints.attachments")}
          <input name="attachments" type="file" multiple accept=".pdf,.png,.jpg,.jpeg" />
        </label>
        <button type="submit" className="btn" disabled={file.isPending}>
          {tx("complaints.submit")}
        </button>
      </form>
      {file.isError && <ErrorNotice error={file.error} />}
      {file.isSuccess && (
        <p role="status" data-testid="complaint-filed">
          {tx("complaints.filed", { number: file.data.tracking_number })}
        </p>
      )}
      <h2>{tx("complaints.mine")}</h2>
      {mine.isError && <ErrorNotice error={mine.error} />}
      {mine.data && own.length === 0 && <p>{tx("complaints.none")}</p>}
      {own.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>{tx("complaints.number")}</th>
              <th>{tx("complaints.summary")}</th>
              <th>{tx("complaints.status")}</th>
              <th>{tx("complaints.due")}</th>
            </tr>
          </thead>
          <tbody>
            {own.map((c) => (
              <tr key={c.id} data-testid="my-complaint">
                <td>{c.tracking_number}</td>
                <td>{c.summary}</td>
                <td>{tx(`complaints.status.${c.status}` as TextId)}</td>
                <td>{c.response_due.slice(0, 10)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {handling.length > 0 && (
        <>
          <h2>{tx("complaints.handling")}</h2>
          {handling.map((c) => (
            <HandleComplaint key={c.id} complaint={c} mayAnswer={mayAnswer} mayDecide={mayDecide} />
          ))}
        </>
      )}
    </section>
  );
}
