import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { RegisterInstrumentLink } from "../registry";
import { InstrumentTile } from "./InstrumentTile";
import { useInstruments } from "./queries";

export function InstrumentBoard() {
  const { t } = useI18n();
  const instruments = useInstruments();

  return (
    <section>
      <div className="page-head">
        <h1>{t("instruments.title")}</h1>
        {instruments.data && (
          <span className="muted">{t("instruments.count", { count: instruments.data.length })}</span>
        )}
        <RegisterInstrumentLink />
      </div>
      {instruments.isPending && <Loading />}
      {instruments.isError && (
        <ErrorNotice error={instruments.error} onRetry={() => void instruments.refetch()} />
      )}
      {instruments.data?.length === 0 && <p className="empty">{t("instruments.empty")}</p>}
      {instruments.data && instruments.data.length > 0 && (
        <div className="tile-grid">
          {instruments.data.map((instrument) => (
            <InstrumentTile key={instrument.id} instrument={instrument} />
          ))}
        </div>
      )}
    </section>
  );
}
