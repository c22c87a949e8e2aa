import { Link } from "react-router";
import { ApiError } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { isEnterpriseRole } from "../auth/roles";
import { useCurrentUser } from "../auth/queries";
import { LatestValuesPanel } from "../live";
import { InstrumentRegistryPanel } from "../registry";
import { TelemetryPanel } from "../telemetry";
import { OpenBadge } from "./OpenBadge";
import { useInstrument } from "./queries";

export function InstrumentPage({ instrumentId }: { instrumentId: string }) {
  const { t, pickName, otherName } = useI18n();
  const instrument = useInstrument(instrumentId);
  const me = useCurrentUser();

  if (instrument.isPending) return <Loading />;
  if (instrument.isError) {
    const notFound = instrument.error instanceof ApiError && instrument.error.status === 404;
    return (
      <section>
        <Link to="/" className="back-link">
          ← {t("instruments.back")}
        </Link>
        {notFound ? (
          <p className="empty">{t("instruments.notFound")}</p>
        ) : (
          <ErrorNotice error={instrument.error} />
        )}
      </section>
    );
  }

  const data = instrument.data;
  const secondary = otherName(data.name, data.name_en);
  return (
    <section>
      <Link to="/" className="back-link">
        ← {t("instruments.back")}
      </Link>
      <div className="detail-head">
        <div>
          <h1>{pickName(data.name, data.name_en)}</h1>
          {secondary && <div className="detail-subtitle">{secondary}</div>}
        </div>
        <OpenBadge isOpen={data.is_open} />
      </div>
      <dl className="facts facts-wide card">
        <dt>{t("instruments.model")}</dt>
        <dd>{data.model || "—"}</dd>
        <dt>{t("instruments.manufacturer")}</dt>
        <dd>{data.manufacturer || "—"}</dd>
        <dt>{t("instruments.location")}</dt>
        <dd>{data.location || "—"}</dd>
        <dt>{t("instruments.channels")}</dt>
        <dd>{data.channels?.length ?? 0}</dd>
      </dl>
      <InstrumentRegistryPanel instrumentId={data.id} />
      {/* Enterprises may only see data recorded during their own bookings, which the
          server hands out per booking; the instrument-wide panels would only answer 404. */}
      {me.data && isEnterpriseRole(me.data.role) && (
        <p className="card muted" data-testid="enterprise-data-note">
          {t("live.enterpriseNote")} <Link to="/bookings">{t("live.enterpriseNoteLink")}</Link>
        </p>
      )}
      {me.data && !isEnterpriseRole(me.data.role) && (
        <>
          <LatestValuesPanel instrumentId={data.id} />
          {data.channels && data.channels.length > 0 && (
            <TelemetryPanel instrumentId={data.id} channels={data.channels} />
          )}
        </>
      )}
    </section>
  );
}
