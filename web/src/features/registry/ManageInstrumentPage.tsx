import { App } from "antd";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import {
  AuthorisationsPanel,
  beijingInputToIso,
  CalibrationStatusLabel,
  CertificateDocument,
  formatBeijing,
  ImpactReportView,
  outOfServiceReason,
  useCalibrationOverview,
  useInstrumentPost,
  usePost,
  useText,
} from "../calibration";
import { EditRecordLink } from "./InstrumentEditor";

function formValues(event: FormEvent<HTMLFormElement>): Record<string, string> {
  event.preventDefault();
  const data = new FormData(event.currentTarget);
  return Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v)]));
}

function Input({ name, label, type = "text" }: { name: string; label: string; type?: string }) {
  return (
    <label className="field">
      <span>{label}</span>
      <input name={name} type={type} required step={type === "number" ? "any" : undefined} />
    </label>
  );
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
  const [returnRemarks, setReturnRemarks] = useState("");
  const error = [addCertificate, addCheck, addMaintenance, giveBack].find((m) => m.error)?.error;
  // After a save: say so, and empty the form for the next entry.
  const savedClears = (form: HTMLFormElement) => ({
    onSuccess: () => {
      form.reset();
      void message.success(t("manage.saved"));
    },
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
          <label className="field">
            <span>{t("manage.remarks")}</span>
            <input
              value={returnRemarks}
              onChange={(e) => setReturnRemarks(e.target.value)}
              name="return_remarks"
            />
          </label>
          <button
            type="button"
            className="btn"
            disabled={!returnRemarks.trim()}
            onClick={() =>
              giveBack.mutate(
                { id: open.id, remarks: returnRemarks },
                {
                  onSuccess: () => {
                    setReturnRemarks("");
                    void message.success(t("manage.saved"));
                  },
                },
              )
            }
          >
            {t("manage.return")}
          </button>
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
      <form
        className="card form-grid"
        data-testid="certificate-form"
        onSubmit={(event) => {
          const form = event.currentTarget;
          const v = formValues(event);
          addCertificate.mutate(
            {
              number: v.number,
              agency: v.agency,
              granted_on: v.granted_on,
              valid_from: beijingInputToIso(v.valid_from),
              valid_to: beijingInputToIso(v.valid_to),
              result: v.result,
            },
            savedClears(form),
          );
        }}
      >
        <Input name="number" label={t("manage.number")} />
        <Input name="agency" label={t("manage.agency")} />
        <Input name="granted_on" label={t("manage.grantedOn")} type="date" />
        <Input name="valid_from" label={t("manage.validFrom")} type="datetime-local" />
        <Input name="valid_to" label={t("manage.validTo")} type="datetime-local" />
        <label className="field">
          <span>{t("manage.result")}</span>
          <select name="result" defaultValue="pass">
            <option value="pass">{t("manage.pass")}</option>
            <option value="fail">{t("manage.fail")}</option>
          </select>
        </label>
        <button type="submit" className="btn">
          {t("manage.add")}
        </button>
      </form>

      <h2>{t("manage.checks")}</h2>
      <ul data-testid="checks">
        {data.checks.map((c) => (
          <li key={c.id}>
            {formatBeijing(c.performed_at)} · {c.measured_value} / {c.reference_value} ± {c.tolerance} ·{" "}
            {t(c.result === "pass" ? "manage.pass" : "manage.fail")}
          </li>
        ))}
      </ul>
      <form
        className="card form-grid"
        data-testid="check-form"
        onSubmit={(event) => {
          const form = event.currentTarget;
          const v = formValues(event);
          addCheck.mutate(
            {
              performed_at: beijingInputToIso(v.performed_at),
              reference_value: Number(v.reference_value),
              measured_value: Number(v.measured_value),
              tolerance: Number(v.tolerance),
            },
            savedClears(form),
          );
        }}
      >
        <Input name="performed_at" label={t("manage.performedAt")} type="datetime-local" />
        <Input name="reference_value" label={t("manage.reference")} type="number" />
        <Input name="measured_value" label={t("manage.measured")} type="number" />
        <Input name="tolerance" label={t("manage.tolerance")} type="number" />
        <button type="submit" className="btn">
          {t("manage.add")}
        </button>
      </form>

      <h2>{t("manage.maintenance")}</h2>
      <ul>
        {data.maintenance.map((m) => (
          <li key={m.id}>
            {formatBeijing(m.start_at)} – {formatBeijing(m.end_at)} · {m.description}
          </li>
        ))}
      </ul>
      <form
        className="card form-grid"
        onSubmit={(event) => {
          const form = event.currentTarget;
          const v = formValues(event);
          addMaintenance.mutate(
            {
              start_at: beijingInputToIso(v.start_at),
              end_at: beijingInputToIso(v.end_at),
              description: v.description,
            },
            savedClears(form),
          );
        }}
      >
        <Input name="start_at" label={t("manage.start")} type="datetime-local" />
        <Input name="end_at" label={t("manage.end")} type="datetime-local" />
        <Input name="description" label={t("manage.description")} />
        <button type="submit" className="btn">
          {t("manage.add")}
        </button>
      </form>

      <AuthorisationsPanel instrumentId={instrumentId} />

      <h2>{t("manage.impact")}</h2>
      {data.impact_reports.length === 0 && <p className="muted">{t("manage.none")}</p>}
      {data.impact_reports.map((report) => (
        <ImpactReportView key={report.id} report={report} />
      ))}
    </section>
  );
}
