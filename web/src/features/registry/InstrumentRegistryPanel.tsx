import { Link } from "react-router";
import { useCurrentUser } from "../auth";
import { CalibrationStatusLabel, useCalibrationStatus, useText } from "../calibration";
import { useInstrumentRecord } from "./api";

/** Record fields, CMA scope and the calibration label on the instrument page. */
export function InstrumentRegistryPanel({ instrumentId }: { instrumentId: string }) {
  const t = useText();
  const record = useInstrumentRecord(instrumentId);
  const status = useCalibrationStatus(instrumentId);
  const me = useCurrentUser();
  const manages = me.data && ["lab_manager", "platform_admin", "lab_staff"].includes(me.data.role);
  const data = record.data;

  return (
    <section className="card registry-panel" data-testid="registry-panel">
      <div className="detail-head">
        <h2>{t("registry.record")}</h2>
        {status.data && <CalibrationStatusLabel state={status.data.state} validTo={status.data.valid_to} />}
      </div>
      {data && (
        <dl className="facts facts-wide">
          <dt>{t("registry.category")}</dt>
          <dd>{data.category || "—"}</dd>
          <dt>{t("registry.value")}</dt>
          <dd>{data.original_value ? `${data.original_value} ${data.currency ?? "CNY"}` : "—"}</dd>
          <dt>{t("registry.origin")}</dt>
          <dd>{data.country_of_origin || "—"}</dd>
          <dt>{t("registry.specs")}</dt>
          <dd>{data.technical_specifications || data.specification || "—"}</dd>
          <dt>{t("registry.functions")}</dt>
          <dd>{data.main_functions || "—"}</dd>
          <dt>{t("registry.modes")}</dt>
          <dd>
            {data.service_modes
              .map((mode) =>
                t(mode === "self_operated" ? "registry.mode.self_operated" : "registry.mode.staff_operated"),
              )
              .join(" / ")}
          </dd>
          <dt>{t("registry.contact")}</dt>
          <dd>{[data.contact_name, data.contact_phone].filter(Boolean).join(" ") || "—"}</dd>
        </dl>
      )}
      <h3>{t("registry.scope")}</h3>
      {data && data.scope.length === 0 && <p className="muted">{t("registry.noScope")}</p>}
      {data && data.scope.length > 0 && (
        <table className="table" data-testid="cma-scope">
          <tbody>
            {data.scope.map((item) => (
              <tr key={item.id}>
                <td>{item.name}</td>
                <td>{item.name_en}</td>
                <td>{item.standard_number}</td>
                <td>{item.standard_name}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manages && (
        <Link to={`/instruments/${instrumentId}/manage`} className="btn btn-ghost">
          {t("registry.manage")}
        </Link>
      )}
    </section>
  );
}
