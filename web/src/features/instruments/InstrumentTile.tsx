import { Link } from "react-router";
import type { Instrument } from "../../api";
import { useI18n } from "../../i18n";
import { OpenBadge } from "./OpenBadge";

export function InstrumentTile({ instrument }: { instrument: Instrument }) {
  const { t, pickName, otherName } = useI18n();
  const secondary = otherName(instrument.name, instrument.name_en);
  return (
    <Link to={`/instruments/${instrument.id}`} className="tile" data-testid={`instrument-${instrument.id}`}>
      <div className="tile-head">
        <div>
          <h2 className="tile-title">{pickName(instrument.name, instrument.name_en)}</h2>
          {secondary && <div className="tile-subtitle">{secondary}</div>}
        </div>
        <OpenBadge isOpen={instrument.is_open} />
      </div>
      <dl className="facts">
        <dt>{t("instruments.model")}</dt>
        <dd>{instrument.model || "—"}</dd>
        <dt>{t("instruments.location")}</dt>
        <dd>{instrument.location || "—"}</dd>
      </dl>
    </Link>
  );
}
