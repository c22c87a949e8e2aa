import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { formatShanghaiTime } from "../../lib/format";
import { isInstitutionRole, useCurrentUser } from "../auth";
import { useInstruments } from "../instruments";
import { type HandledComplaint, HandleComplaint } from "./HandleComplaint";
import { type TextId, useText } from "./text";

interface Institution {
  id: string;
  name: string;
  name_en: string | null;
  city: string | null;
}

interface Booking {
  id: string;
  instrument_id: string;
  organisation_id: string;
  start_at: string;
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
  const { pickName } = useI18n();
  // A booking complaint is filed by the booking's customer, about the institution whose
  // instrument it booked: the booking is chosen, the institution follows from it.
  const instruments = useInstruments();
  const bookings = useQuery({
    queryKey: ["complaints", "bookings"],
    queryFn: () => api.call<Booking[]>("/bookings"),
  });
  const ownBookings = (bookings.data ?? [])
    .filter((b) => b.organisation_id === me.data?.organisation.id)
    .sort((a, b) => b.start_at.localeCompare(a.start_at));
  const instrumentOf = new Map((instruments.data ?? []).map((i) => [i.id, i]));
  const [bookingId, setBookingId] = useState("");
  const chosenBooking = ownBookings.find((b) => b.id === bookingId) ?? ownBookings[0];
  const file = useMutation({
    mutationFn: (form: FormData) =>
      api.call<{ tracking_number: string }>("/complaints", { method: "POST", body: form }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["complaints", "mine"] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    form.set("anonymous", anonymous ? "true" : "false");
    if (subject === "booking" && chosenBooking) {
      const instrument = instrumentOf.get(chosenBooking.instrument_id);
      form.set("booking_id", chosenBooking.id);
      if (instrument) form.set("organisation_id", instrument.organisation_id);
    }
    for (const [key, value] of [...form.entries()]) {
      if (key === "booking_choice" || value === "" || (value instanceof File && !value.name))
        form.delete(key);
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
      <form
        className="card form-grid"
        style={{ gridTemplateColumns: "1fr", maxWidth: "40rem" }}
        onSubmit={submit}
        aria-label={tx("complaints.new")}
      >
        <label className="field">
          <span>{tx("complaints.subject")}</span>
          <select name="subject_kind" value={subject} onChange={(e) => setSubject(e.target.value)}>
            <option value="institution">{tx("complaints.subject.institution")}</option>
            <option value="report">{tx("complaints.subject.report")}</option>
            {ownBookings.length > 0 && <option value="booking">{tx("complaints.subject.booking")}</option>}
          </select>
        </label>
        {subject === "booking" && chosenBooking ? (
          <label className="field">
            <span>{tx("complaints.booking")}</span>
            <select
              name="booking_choice"
              value={chosenBooking.id}
              onChange={(e) => setBookingId(e.target.value)}
            >
              {ownBookings.map((b) => {
                const instrument = instrumentOf.get(b.instrument_id);
                return (
                  <option key={b.id} value={b.id}>
                    {instrument ? pickName(instrument.name, instrument.name_en) : "—"} ·{" "}
                    {formatShanghaiTime(b.start_at)}
                  </option>
                );
              })}
            </select>
          </label>
        ) : (
          <label className="field">
            <span>{tx("complaints.institution")}</span>
            <select name="organisation_id" required>
              {institutions.data.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {subject === "report" && (
          <label className="field">
            <span>{tx("complaints.reportNumber")}</span>
            <input name="report_number" required />
          </label>
        )}
        <label className="field">
          <span>{tx("complaints.summary")}</span>
          <input name="summary" required maxLength={200} />
        </label>
        <label className="field">
          <span>{tx("complaints.details")}</span>
          <textarea name="details" required maxLength={5000} rows={5} />
        </label>
        <label>
          <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous(e.target.checked)} />
          {tx("complaints.anonymous")}
        </label>
        {!anonymous && (
          <>
            <label className="field">
              <span>{tx("complaints.name")}</span>
              <input name="contact_name" maxLength={100} />
            </label>
            <label className="field">
              <span>{tx("complaints.phone")}</span>
              <input name="contact_phone" />
            </label>
            <label className="field">
              <span>{tx("complaints.email")}</span>
              <input name="contact_email" type="email" />
            </label>
          </>
        )}
        <label className="field">
          <span>{tx("complaints.attachments")}</span>
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
