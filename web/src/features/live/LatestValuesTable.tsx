import type { LatestValue } from "../../api";
import { useI18n } from "../../i18n";
import { formatShanghaiTime, formatUnit, formatValue, qualityName } from "../../lib/format";
import { QualityBadge } from "./QualityBadge";
import type { SessionHistory } from "./sessionHistory";
import { Sparkline } from "./Sparkline";

export interface LatestValuesTableProps {
  instrumentId: string;
  rows: readonly LatestValue[];
  history?: SessionHistory;
}

export function LatestValuesTable({ instrumentId, rows, history }: LatestValuesTableProps) {
  const { t, pickName, otherName } = useI18n();
  return (
    <table className="latest-table">
      <thead>
        <tr>
          <th scope="col">{t("live.point")}</th>
          <th scope="col" className="num">
            {t("live.value")}
          </th>
          {history && <th scope="col">{t("live.trend")}</th>}
          <th scope="col">{t("live.time")}</th>
          <th scope="col">{t("live.quality")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const quality = row.ts === null ? null : qualityName(row.quality);
          const unit = formatUnit(row.unit);
          const secondary = otherName(row.name, row.name_en);
          const pointKey = `${row.device_key}.${row.point_key}`;
          return (
            <tr
              key={row.channel_id}
              data-testid={`latest-${pointKey}`}
              className={`quality-${quality ?? "none"}`}
            >
              <th scope="row">
                <div className="point-name">{pickName(row.name, row.name_en)}</div>
                <div className="point-key">
                  {secondary && <span>{secondary} · </span>}
                  <code>{pointKey}</code>
                </div>
              </th>
              <td className="num">
                <span className="value" data-testid="value">
                  {formatValue(row.value, row.unit)}
                  {unit && row.value !== null && <span className="unit">{unit}</span>}
                </span>
              </td>
              {history && (
                <td className="trend">
                  <Sparkline
                    points={history.get(instrumentId, row)}
                    label={`${pickName(row.name, row.name_en)} ${t("live.trend")}`}
                  />
                </td>
              )}
              <td>
                <time data-testid="ts" dateTime={row.ts ?? undefined}>
                  {formatShanghaiTime(row.ts)}
                </time>
              </td>
              <td>
                <QualityBadge quality={quality} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
