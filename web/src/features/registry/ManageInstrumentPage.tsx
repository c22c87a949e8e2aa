import { App, Button, Form, Input, InputNumber, Select } from "antd";
import type { Rule } from "antd/es/form";
import type { Dayjs } from "dayjs";
import { Link } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { DayPicker, MinutePicker } from "../../components/MinutePicker";
import { useI18n } from "../../i18n";
import {
  AuthorisationsPanel,
  CalibrationStatusLabel,
  CertificateDocument,
  formatBeijing,
  ImpactReportView,
  outOfServiceReason,
  pickedDay,
  pickedToIso,
  type TextId,
  useCalibrationOverview,
  useInstrumentPost,
  usePost,
  useText,
} from "../calibration";
import { EditRecordLink } from "./InstrumentEditor";

interface CertificateValues {
  number: string;
  agency: string;
  granted_on: Dayjs;
  /** Beijing wall times, to the minute. */
  valid_from: Dayjs;
  valid_to: Dayjs;
  result: "pass" | "fail";
}

interface CheckValues {
  performed_at: Dayjs;
  reference_value: number;
  measured_value: number;
  tolerance: number;
}

interface MaintenanceValues {
  start_at: Dayjs;
  end_at: Dayjs;
  description: string;
}

/** The field, a picked time, must come after the one picked in `after`. */
function laterThan(after: string, message: string): Rule {
  return ({ getFieldValue }) => ({
    validator: (_, value: Dayjs | null | undefined) => {
      const start = getFieldValue(after) as Dayjs | null | undefined;
      return !value || !start || value.isAfter(start)
        ? Promise.resolve()
        : Promise.reject(new Error(message));
    },
  });
}

/** Lab-manager screens: certificates, checks, maintenance, out of service, authorisations, impact. */
export function ManageInstrumentPage({ instrumentId }: { instrumentId: string }) {
  const t = useText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const overview = useCalibrationOverview(instrumentId);
  const addCertificate = useInstrumentPost<Record<string, unknown>>(
    instrumentId,
    "/calibration/certificates",
  );
  const addCheck = useInstrumentPost<Record<string, unknown>>(instrumentId, "/calibration/checks");
  const addMaintenance = useInstrumentPost<Record<string, unknown>>(instrumentId, "/maintenance-windows");
  const giveBack = usePost<{ id: string; remarks: string }>(
    instrumentId,
    (b) => `/out-of-service/${b.id}/return`,
  );
  const [returnForm] = Form.useForm<{ remarks: string }>();
  const [certificateForm] = Form.useForm<CertificateValues>();
  const [checkForm] = Form.useForm<CheckValues>();
  const [maintenanceForm] = Form.useForm<MaintenanceValues>();
  const error = [addCertificate, addCheck, addMaintenance, giveBack].find((m) => m.error)?.error;
  // After a save: say so, and empty the form for the next entry.
  const savedClears = (form: { resetFields: () => void }) => ({
    onSuccess: () => {
      form.resetFields();
      void message.success(t("manage.saved"));
    },
  });
  // Typed fields say "请填写…", picked ones "请选择…".
  // (`whitespace` only on texts: a rule naming it is checked as a string, which a number is not.)
  const required = (id: TextId, text = false): Rule =>
    text
      ? { required: true, whitespace: true, message: t("manage.required", { field: t(id) }) }
      : { required: true, message: t("manage.required", { field: t(id) }) };
  const picked = (id: TextId): Rule => ({
    required: true,
    message: t("manage.requiredPick", { field: t(id) }),
  });

  if (overview.isPending) return <Loading />;
  if (overview.isError) return <ErrorNotice error={overview.error} />;
  const data = overview.data;
  const open = data.out_of_service.find((r) => r.end_at === null);

  return (
    <section className="manage-page">
      <Link to={`/instruments/${instrumentId}`} className="back-link">
        ←
      </Link>
      <div className="detail-head">
        <h1>{t("registry.manage")}</h1>
        <CalibrationStatusLabel state={data.status.state} validTo={data.status.valid_to} />
        <EditRecordLink instrumentId={instrumentId} />
      </div>
      {error && <ErrorNotice error={error} />}

      {open && (
        <div className="card" data-testid="out-of-service">
          <h2>{t("manage.outOfService")}</h2>
          <p>
            <span data-testid="out-of-service-reason">
              {t("oos.since", { from: formatBeijing(open.start_at) })} · {outOfServiceReason(locale, open)}
            </span>
          </p>
          <Form<{ remarks: string }>
            form={returnForm}
            name="return"
            layout="vertical"
            className="form-grid"
            onFinish={(v) =>
              giveBack.mutate({ id: open.id, remarks: v.remarks.trim() }, savedClears(returnForm))
            }
          >
            <Form.Item name="remarks" label={t("manage.remarks")} rules={[required("manage.remarks", true)]}>
              <Input name="return_remarks" maxLength={2000} />
            </Form.Item>
            <Form.Item label=" ">
              <Button htmlType="submit" loading={giveBack.isPending}>
                {t("manage.return")}
              </Button>
            </Form.Item>
          </Form>
        </div>
      )}

      <h2>{t("manage.certificates")}</h2>
      <table className="table" data-testid="certificates">
        <tbody>
          {data.certificates.map((c) => (
            <tr key={c.id}>
              <td>{c.number}</td>
              <td>{c.agency}</td>
              <td>
                {formatBeijing(c.valid_from)} – {formatBeijing(c.valid_to)}
              </td>
              <td>{t(c.result === "pass" ? "manage.pass" : "manage.fail")}</td>
              <td>
                <CertificateDocument instrumentId={instrumentId} certificate={c} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Form<CertificateValues>
        form={certificateForm}
        name="certificate"
        layout="vertical"
        className="card form-grid"
        data-testid="certificate-form"
        initialValues={{ result: "pass" }}
        onFinish={(v) =>
          addCertificate.mutate(
            {
              number: v.number.trim(),
              agency: v.agency.trim(),
              granted_on: pickedDay(v.granted_on),
              valid_from: pickedToIso(v.valid_from),
              valid_to: pickedToIso(v.valid_to),
              result: v.result,
            },
            savedClears(certificateForm),
          )
        }
      >
        <Form.Item name="number" label={t("manage.number")} rules={[required("manage.number", true)]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="agency" label={t("manage.agency")} rules={[required("manage.agency", true)]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="granted_on" label={t("manage.grantedOn")} rules={[picked("manage.grantedOn")]}>
          <DayPicker />
        </Form.Item>
        <Form.Item name="valid_from" label={t("manage.validFrom")} rules={[picked("manage.validFrom")]}>
          <MinutePicker />
        </Form.Item>
        <Form.Item
          name="valid_to"
          label={t("manage.validTo")}
          dependencies={["valid_from"]}
          rules={[picked("manage.validTo"), laterThan("valid_from", t("manage.validToAfterFrom"))]}
        >
          <MinutePicker />
        </Form.Item>
        <Form.Item name="result" label={t("manage.result")} rules={[picked("manage.result")]}>
          <Select
            options={[
              { value: "pass", label: t("manage.pass") },
              { value: "fail", label: t("manage.fail") },
            ]}
          />
        </Form.Item>
        <Form.Item label=" ">
          <Button htmlType="submit" loading={addCertificate.isPending}>
            {t("manage.add")}
          </Button>
        </Form.Item>
      </Form>

      <h2>{t("manage.checks")}</h2>
      <ul data-testid="checks">
        {data.checks.map((c) => (
          <li key={c.id}>
            {formatBeijing(c.performed_at)} · {c.measured_value} / {c.reference_value} ± {c.tolerance} ·{" "}
            {t(c.result === "pass" ? "manage.pass" : "manage.fail")}
          </li>
        ))}
      </ul>
      <Form<CheckValues>
        form={checkForm}
        name="check"
        layout="vertical"
        className="card form-grid"
        data-testid="check-form"
        onFinish={(v) =>
          addCheck.mutate(
            {
              performed_at: pickedToIso(v.performed_at),
              reference_value: v.reference_value,
              measured_value: v.measured_value,
              tolerance: v.tolerance,
            },
            savedClears(checkForm),
          )
        }
      >
        <Form.Item name="performed_at" label={t("manage.performedAt")} rules={[picked("manage.performedAt")]}>
          <MinutePicker />
        </Form.Item>
        <Form.Item
          name="reference_value"
          label={t("manage.reference")}
          rules={[required("manage.reference")]}
        >
          <InputNumber style={{ width: "100%" }} />
        </Form.Item>
        <Form.Item name="measured_value" label={t("manage.measured")} rules={[required("manage.measured")]}>
          <InputNumber style={{ width: "100%" }} />
        </Form.Item>
        <Form.Item
          name="tolerance"
          label={t("manage.tolerance")}
          rules={[
            required("manage.tolerance"),
            { type: "number", min: 0, message: t("manage.notNegative", { field: t("manage.tolerance") }) },
          ]}
        >
          <InputNumber min={0} style={{ width: "100%" }} />
        </Form.Item>
        <Form.Item label=" ">
          <Button htmlType="submit" loading={addCheck.isPending}>
            {t("manage.add")}
          </Button>
        </Form.Item>
      </Form>

      <h2>{t("manage.maintenance")}</h2>
      <ul>
        {data.maintenance.map((m) => (
          <li key={m.id}>
            {formatBeijing(m.start_at)} – {formatBeijing(m.end_at)} · {m.description}
          </li>
        ))}
      </ul>
      <Form<MaintenanceValues>
        form={maintenanceForm}
        name="maintenance"
        layout="vertical"
        className="card form-grid"
        data-testid="maintenance-form"
        onFinish={(v) =>
          addMaintenance.mutate(
            {
              start_at: pickedToIso(v.start_at),
              end_at: pickedToIso(v.end_at),
              description: v.description.trim(),
            },
            savedClears(maintenanceForm),
          )
        }
      >
        <Form.Item name="start_at" label={t("manage.start")} rules={[picked("manage.start")]}>
          <MinutePicker />
        </Form.Item>
        <Form.Item
          name="end_at"
          label={t("manage.end")}
          dependencies={["start_at"]}
          rules={[picked("manage.end"), laterThan("start_at", t("manage.endAfterStart"))]}
        >
          <MinutePicker />
        </Form.Item>
        <Form.Item
          name="description"
          label={t("manage.description")}
          rules={[required("manage.description", true)]}
        >
          <Input maxLength={2000} />
        </Form.Item>
        <Form.Item label=" ">
          <Button htmlType="submit" loading={addMaintenance.isPending}>
            {t("manage.add")}
          </Button>
        </Form.Item>
      </Form>

      <AuthorisationsPanel instrumentId={instrumentId} />

      <h2>{t("manage.impact")}</h2>
      {data.impact_reports.length === 0 && <p className="muted">{t("manage.none")}</p>}
      {data.impact_reports.map((report) => (
        <ImpactReportView key={report.id} report={report} />
      ))}
    </section>
  );
}
