import { Segmented } from "antd";
import { useEffect, useMemo, useState } from "react";
import type { Instrument } from "../../api/types";
import { useI18n } from "../../i18n";
import type { Availability, Slot } from "./api";
import { beijingTime, dayLabel } from "./calendar";
import { dayCells, KIND_COLOURS, selection, type Cell } from "./timeline";
import { TimelineLegend } from "./TimelineLegend";
import { knownText, useText } from "./text";

const COLOURS = KIND_COLOURS;

interface Drag {
  instrumentId: string;
  from: number;
  to: number;
}

/**
 * One day across instruments by time of day: free, booked, closed and unusable (calibration,
 * maintenance) half hours; dragging across free time in a row picks exactly that period.
 */
export function DayTimeline({
  instruments,
  availability,
  days,
  day,
  onDay,
  slotMinutes = 30,
  onSelect,
}: {
  instruments: Instrument[];
  availability: Map<string, Availability>;
  days: Date[];
  day: number;
  onDay: (day: number) => void;
  slotMinutes?: number;
  onSelect: (instrumentId: string, slot: Slot) => void;
}) {
  const t = useText();
  const { locale, pickName } = useI18n();
  const [drag, setDrag] = useState<Drag | null>(null);
  const dayStart = days[day]!;
  const rows = useMemo(
    () =>
      instruments.map((i) => ({
        instrument: i,
        cells: dayCells(dayStart, slotMinutes, availability.get(i.id)),
      })),
    [instruments, dayStart, slotMinutes, availability],
  );

  // A drag ends wherever the pointer is let go.
  useEffect(() => {
    if (!drag) return;
    const finish = () => {
      const row = rows.find((r) => r.instrument.id === drag.instrumentId);
      const slot = row && selection(row.cells, drag.from, drag.to);
      setDrag(null);
      if (slot) onSelect(drag.instrumentId, slot);
    };
    window.addEventListener("pointerup", finish);
    return () => window.removeEventListener("pointerup", finish);
  }, [drag, rows, onSelect]);

  const label = (cell: Cell) => {
    const time = `${beijingTime(new Date(cell.start).toISOString())}–${beijingTime(new Date(cell.end).toISOString())}`;
    if (cell.kind === "blocked" && cell.reason) {
      const id = `calendar.reason.${cell.reason}`;
      return `${time} ${knownText(id) ? t(id) : t("calendar.blocked")}`;
    }
    return `${time} ${t(`timeline.${cell.kind}`)}`;
  };
  const inDrag = (instrumentId: string, index: number) =>
    drag !== null &&
    drag.instrumentId === instrumentId &&
    index >= Math.min(drag.from, drag.to) &&
    index <= Math.max(drag.from, drag.to);
  const hours = Math.round((24 * 60) / slotMinutes);
  const perHour = Math.round(60 / slotMinutes);

  return (
    <section className="day-timeline" aria-label={t("timeline.title")} data-testid="day-timeline">
      <h3>{t("timeline.title")}</h3>
      <Segmented
        size="small"
        value={day}
        onChange={(value) => onDay(Number(value))}
        options={days.map((d, i) => ({ value: i, label: dayLabel(d, locale) }))}
        style={{ marginBottom: 8, maxWidth: "100%", overflowX: "auto" }}
      />
      <p className="muted">{t("timeline.hint")}</p>
      <div className="table-scroll">
        <table style={{ borderCollapse: "collapse", userSelect: "none", touchAction: "none" }}>
          <thead>
            <tr>
              <th style={{ textAlign: "left", minWidth: 120 }}>{t("calendar.instrument")}</th>
              {Array.from({ length: hours / perHour }, (_, h) => (
                <th key={h} colSpan={perHour} style={{ fontWeight: 400, fontSize: 11, textAlign: "left" }}>
                  {h % 2 === 0 ? `${String(h).padStart(2, "0")}` : ""}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ instrument, cells }) => (
              <tr key={instrument.id} data-testid="timeline-row">
                <th scope="row" style={{ textAlign: "left", paddingRight: 8, whiteSpace: "nowrap" }}>
                  {pickName(instrument.name, instrument.name_en)}
                </th>
                {cells.map((cell, index) => (
                  <td
                    key={cell.start}
                    aria-label={label(cell)}
                    title={label(cell)}
                    data-kind={cell.kind}
                    data-start={new Date(cell.start).toISOString()}
                    onPointerDown={(event) => {
                      if (cell.kind !== "free") return;
                      event.preventDefault();
                      // A touch captures the pointer to this cell; release it so the cells
                      // it moves over see it.
                      if (event.currentTarget.hasPointerCapture?.(event.pointerId)) {
                        event.currentTarget.releasePointerCapture(event.pointerId);
                      }
                      setDrag({ instrumentId: instrument.id, from: index, to: index });
                    }}
                    onPointerEnter={() => {
                      if (drag?.instrumentId === instrument.id) setDrag({ ...drag, to: index });
                    }}
                    style={{
                      width: 18,
                      minWidth: 18,
                      height: 28,
                      padding: 0,
                      cursor: cell.kind === "free" ? "pointer" : "not-allowed",
                      background: inDrag(instrument.id, index) ? "#1677ff" : COLOURS[cell.kind],
                      borderLeft: index % perHour === 0 ? "1px solid #d9d9d9" : "1px solid #fff",
                    }}
                  />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <TimelineLegend testId="timeline-legend" />
    </section>
  );
}
