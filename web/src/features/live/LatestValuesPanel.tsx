import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { LatestValuesTable } from "./LatestValuesTable";
import { sessionHistory as defaultHistory, type SessionHistory } from "./sessionHistory";
import { useLatestValues } from "./useLatestValues";

export interface LatestValuesPanelProps {
  instrumentId: string;
  refreshMs?: number;
  history?: SessionHistory;
}

export function LatestValuesPanel({
  instrumentId,
  refreshMs,
  history = defaultHistory,
}: LatestValuesPanelProps) {
  const { t } = useI18n();
  const latest = useLatestValues(instrumentId, refreshMs);
  // Recording is idempotent (older or equal timestamps are ignored), so doing it while
  // rendering keeps the sparkline in step with the row it sits in.
  if (latest.data) history.record(instrumentId, latest.data);

  return (
    <section className="card live-panel" aria-labelledby="live-title">
      <div className="card-head">
        <h2 id="live-title">{t("live.title")}</h2>
        <span className={`live-dot ${latest.isError ? "live-dot-down" : ""}`} aria-hidden="true" />
        <span className="muted">{t("live.refreshing")}</span>
      </div>
      {latest.isError && (
        <>
          <p className="muted">{t("live.unavailable")}</p>
          <ErrorNotice error={latest.error} />
        </>
      )}
      {latest.isPending && <Loading />}
      {latest.data?.length === 0 && <p className="empty">{t("live.empty")}</p>}
      {latest.data && latest.data.length > 0 && (
        <LatestValuesTable instrumentId={instrumentId} rows={latest.data} history={history} />
      )}
    </section>
  );
}
