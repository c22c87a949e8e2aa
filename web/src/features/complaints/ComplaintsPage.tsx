import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Checkbox, Form, Input, Select } from "antd";
import type { Rule } from "antd/es/form";
import { useRef } from "react";
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

type Subject = "institution" | "report" | "booking";

/** The complaint form's fields (the attachments are the file input's). */
interface ComplaintValues {
  subject_kind: Subject;
  booking_id?: string;
  organisation_id?: string;
  report_number?: string;
  summary: string;
  details: string;
  anonymous?: boolean;
  contact_name?: string;
  contact_phone?: string;
  contact_email?: string;
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
  const { message } = App.useApp();
  const [form] = Form.useForm<ComplaintValues>();
  const files = useRef<HTMLInputElement>(null);
  const subject = Form.useWatch("subject_kind", form) ?? "institution";
  const anonymous = Form.useWatch("anonymous", form) ?? false;
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
  const file = useMutation({
    mutationFn: (body: FormData) =>
      api.call<{ tracking_number: string }>("/complaints", { method: "POST", body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["complaints", "mine"] }),
  });
  const submit = (v: ComplaintValues) => {
    const body = new FormData();
    const put = (key: string, value: string | undefined) => {
      if (value?.trim()) body.set(key, value.trim());
    };
    put("subject_kind", v.subject_kind);
    const chosen = ownBookings.find((b) => b.id === v.booking_id) ?? ownBookings[0];
    if (v.subject_kind === "booking" && chosen) {
      // The institution follows from the booking's instrument.
      body.set("booking_id", chosen.id);
      put("organisation_id", instrumentOf.get(chosen.instrument_id)?.organisation_id);
    } else {
      put("organisation_id", v.organisation_id);
    }
    if (v.subject_kind === "report") put("report_number", v.report_number);
    put("summary", v.summary);
    put("details", v.details);
    if (!v.anonymous) {
      put("contact_name", v.contact_name);
      put("contact_phone", v.contact_phone);
      put("contact_email", v.contact_email);
    }
    body.set("anonymous", v.anonymous ? "true" : "false");
    for (const attachment of files.current?.files ?? []) body.append("attachments", attachment);
    file.mutate(body, {
      onSuccess: (filed) => {
        form.resetFields();
        if (files.current) files.current.value = "";
        void message.success(tx("complaints.filed", { number: filed.tracking_number }));
      },
    });
  };
  const required = (id: TextId, pick = false): Rule =>
    pick
      ? { required: true, message: tx("complaints.requiredPick", { field: tx(id) }) }
      : { required: true, whitespace: true, message: tx("complaints.required", { field: tx(id) }) };
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
      <Form<ComplaintValues>
        form={form}
        name="complaint"
        layout="vertical"
        className="card"
        style={{ maxWidth: "40rem" }}
        aria-label={tx("complaints.new")}
        initialValues={{ subject_kind: "institution", anonymous: false }}
        onFinish={submit}
      >
        <Form.Item name="subject_kind" label={tx("complaints.subject")}>
          <Select
            options={[
              { value: "institution", label: tx("complaints.subject.institution") },
              { value: "report", label: tx("complaints.subject.report") },
              ...(ownBookings.length > 0
                ? [{ value: "booking", label: tx("complaints.subject.booking") }]
                : []),
            ]}
          />
        </Form.Item>
        {subject === "booking" && ownBookings.length > 0 ? (
          <Form.Item
            name="booking_id"
            label={tx("complaints.booking")}
            initialValue={ownBookings[0]!.id}
            rules={[required("complaints.booking", true)]}
          >
            <Select
              options={ownBookings.map((b) => {
                const instrument = instrumentOf.get(b.instrument_id);
                return {
                  value: b.id,
                  label: `${instrument ? pickName(instrument.name, instrument.name_en) : "—"} · ${formatShanghaiTime(b.start_at)}`,
                };
              })}
            />
          </Form.Item>
        ) : (
          <Form.Item
            name="organisation_id"
            label={tx("complaints.institution")}
            rules={[required("complaints.institution", true)]}
          >
            <Select
              showSearch={{ optionFilterProp: "label" }}
              placeholder={tx("complaints.choose")}
              options={institutions.data.map((i) => ({ value: i.id, label: i.name }))}
            />
          </Form.Item>
        )}
        {subject === "report" && (
          <Form.Item
            name="report_number"
            label={tx("complaints.reportNumber")}
            rules={[required("complaints.reportNumber")]}
          >
            <Input name="report_number" maxLength={100} />
          </Form.Item>
        )}
        <Form.Item name="summary" label={tx("complaints.summary")} rules={[required("complaints.summary")]}>
          <Input name="summary" maxLength={200} />
        </Form.Item>
        <Form.Item name="details" label={tx("complaints.details")} rules={[required("complaints.details")]}>
          <Input.TextArea name="details" maxLength={5000} rows={5} />
        </Form.Item>
        <Form.Item name="anonymous" valuePropName="checked">
          <Checkbox>{tx("complaints.anonymous")}</Checkbox>
        </Form.Item>
        {!anonymous && (
          <>
            <Form.Item name="contact_name" label={tx("complaints.name")}>
              <Input name="contact_name" maxLength={100} />
            </Form.Item>
            <Form.Item name="contact_phone" label={tx("complaints.phone")}>
              <Input name="contact_phone" maxLength={40} />
            </Form.Item>
            <Form.Item
              name="contact_email"
              label={tx("complaints.email")}
              rules={[{ type: "email", message: tx("complaints.badEmail") }]}
            >
              <Input name="contact_email" maxLength={200} />
            </Form.Item>
          </>
        )}
        <Form.Item label={tx("complaints.attachments")} htmlFor="complaint-attachments">
          <input
            id="complaint-attachments"
            ref={files}
            name="attachments"
            type="file"
            multiple
            accept=".pdf,.png,.jpg,.jpeg"
          />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={file.isPending}>
          {tx("complaints.submit")}
        </Button>
      </Form>
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
