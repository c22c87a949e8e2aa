import { Button, Space } from "antd";
import { useEffect, useMemo, useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import type { Instrument } from "../../api/types";
import { useI18n } from "../../i18n";
import { useAvailability, type Slot } from "./api";
import { beijingTime, dayLabel, weekDays } from "./calendar";
import { KIND_COLOURS, selection } from "./timeline";
import { TimelineLegend } from "./TimelineLegend";
import { knownText, useText } from "./text";
import { blocks, cellAt, freeStretch, weekCells, weekColumns, weekStart, type Block } from "./weekTimeline";

const DAY_MS = 24 * 3600_000;
/** The narrowest a slot is drawn; below that the week scrolls sideways inside its box. */
const SLOT_PX = 6;

interface Drag {
  instrumentId: string;
  day: number;
  from: number;
  to: number;
  /** The day bar's place on screen when the drag began. */
  left: number;
  width: number;
  count: number;
}

const time = (ms: number) => beijingTime(new Date(ms).toISOString());

/**
 * Monday to Sunday (Beijing days) across instruments, each day cut by its opening hours into
 * free, booked, closed and unusable stretches. Clicking free time picks from there to the end
 * of its stretch (the form keeps the first two hours); dragging within one day picks exactly
 * the dragged period, as the day timeline does.
 */
export function WeekTimeline({
  instruments,
  onSelect,
  now,
  slotMinutes = 30,
}: {
  instruments: Instrument[];
  /** A picked period; `exact` when the user dragged its start and end. */
  onSelect: (instrumentId: string, slot: Slot, exact: boolean) => void;
  /** Today; tests fix it, the app uses the clock. */
  now?: Date;
  slotMinutes?: number;
}) {
  const t = useText();
  const { locale, pickName } = useI18n();
  const thisWeek = useMemo(() => weekStart(now ?? new Date()).getTime(), [now]);
  const [monday, setMonday] = useState(thisWeek);
  const [drag, setDrag] = useState<Drag | null>(null);
  const days = useMemo(() => weekDays(new Date(monday)), [monday]);
  const availability = useAvailability(
    new Date(monday).toISOString(),
    new Date(monday + 7 * DAY_MS).toISOString(),
  );
  const byInstrument = useMemo(
    () => new Map((availability.data ?? []).map((a) => [a.instrument_id, a])),
    [availability.data],
  );
  const columns = useMemo(
    () =>
      weekColumns(
        days,
        instruments.map((i) => byInstrument.get(i.id)),
        slotMinutes,
      ),
    [days, instruments, byInstrument, slotMinutes],
  );
  const rows = useMemo(
    () =>
      instruments.map((instrument) => ({
        instrument,
        days: weekCells(columns, slotMinutes, byInstrument.get(instrument.id)),
      })),
    [instruments, columns, slotMinutes, byInstrument],
  );

  // A drag follows the pointer across its day and ends wherever the pointer is let go.
  useEffect(() => {
    if (!drag) return;
    const move = (event: PointerEvent) => {
      const to = cellAt(event.clientX, drag.left, drag.width, drag.count);
      if (to !== null && to !== drag.to) setDrag({ ...drag, to });
    };
    const finish = () => {
      const cells = rows.find((r) => r.instrument.id === drag.instrumentId)?.days[drag.day];
      setDrag(null);
      if (!cells) return;
      if (drag.from === drag.to) {
        const slot = freeStretch(cells, drag.from);
        if (slot) onSelect(drag.instrumentId, slot, false);
      } else {
        const slot = selection(cells, drag.from, drag.to);
        if (slot) onSelect(drag.instrumentId, slot, true);
      }
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", finish);
    return () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", finish);
    };
  }, [drag, rows, onSelect]);

  const label = (day: Date, block: Block) => {
    const when = `${dayLabel(day, locale)} ${time(block.start)}–${time(block.end)}`;
    if (block.kind === "blocked" && block.reason) {
      const id = `calendar.reason.${block.reason}`;
      return `${when} ${knownText(id) ? t(id) : t("calendar.blocked")}`;
    }
    return `${when} ${t(`timeline.${block.kind}`)}`;
  };

  const range = t("week.range", { from: dayLabel(days[0]!, locale), to: dayLabel(days[6]!, locale) });

  return (
    <section className="week-timeline" aria-label={t("week.title")} data-testid="week-timeline">
      <h3>{t("week.title")}</h3>
      <Space wrap style={{ marginBottom: 8 }} role="group" aria-label={t("week.nav")}>
        <Button size="small" onClick={() => setMonday(monday - 7 * DAY_MS)} disabled={monday <= thisWeek}>
          {t("week.prev")}
        </Button>
        <Button size="small" onClick={() => setMonday(thisWeek)} disabled={monday === thisWeek}>
          {t("week.this")}
        </Button>
        <Button size="small" onClick={() => setMonday(monday + 7 * DAY_MS)}>
          {t("week.next")}
        </Button>
        <span data-testid="week-range">{range}</span>
      </Space>
      <p className="muted">{t("week.hint")}</p>
      {availability.isPending ? (
        <Loading />
      ) : availability.error ? (
        <ErrorNotice error={availability.error} />
      ) : (
        <div className="table-scroll week-timeline-scroll">
          <table className="week-timeline-table" style={{ userSelect: "none" }}>
            <thead>
              <tr>
                <th className="week-timeline-name">{t("calendar.instrument")}</th>
                {columns.map((column) => (
                  <th
                    key={column.day.getTime()}
                    data-testid={column.open ? "week-day" : "week-day-closed"}
                    style={{ minWidth: column.open ? Math.max(column.slots * SLOT_PX, 64) : 56 }}
                  >
                    <div>{dayLabel(column.day, locale)}</div>
                    <div className="muted week-timeline-hours">
                      {column.open
                        ? `${time(column.open.start)}–${time(column.open.end)}`
                        : t("week.closedDay")}
                    </div>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(({ instrument, days: cellsByDay }) => (
                <tr key={instrument.id} data-testid="week-row">
                  <th scope="row" className="week-timeline-name">
                    {pickName(instrument.name, instrument.name_en)}
                  </th>
                  {columns.map((column, dayIndex) => {
                    const cells = cellsByDay[dayIndex]!;
                    if (!column.open) {
                      return (
                        <td key={column.day.getTime()} className="week-timeline-day">
                          <div
                            role="img"
                            aria-label={`${dayLabel(column.day, locale)} ${t("week.closedDay")}`}
                            title={t("week.closedDay")}
                            data-kind="closed"
                            className="week-timeline-bar"
                            style={{ background: KIND_COLOURS.closed }}
                          />
                        </td>
                      );
                    }
                    const hours = (column.open.end - column.open.start) / 3600_000;
                    const mine = drag?.instrumentId === instrument.id && drag.day === dayIndex ? drag : null;
                    return (
                      <td key={column.day.getTime()} className="week-timeline-day">
                        <div className="week-timeline-bar">
                          {blocks(cells).map((block) => {
                            const common = {
                              "aria-label": label(column.day, block),
                              title: label(column.day, block),
                              "data-kind": block.kind,
                              "data-start": new Date(block.start).toISOString(),
                              "data-end": new Date(block.end).toISOString(),
                            };
                            const style = {
                              flex: `${block.to - block.from + 1} 1 0`,
                              background: KIND_COLOURS[block.kind],
                            };
                            if (block.kind !== "free") {
                              return (
                                <span
                                  key={block.start}
                                  role="img"
                                  className="week-block"
                                  style={style}
                                  {...common}
                                />
                              );
                            }
                            return (
                              <button
                                key={block.start}
                                type="button"
                                className="week-block week-block-free"
                                style={style}
                                {...common}
                                onPointerDown={(event) => {
                                  event.preventDefault();
                                  // A touch captures the pointer; release it so the drag can move on.
                                  if (event.currentTarget.hasPointerCapture?.(event.pointerId)) {
                                    event.currentTarget.releasePointerCapture(event.pointerId);
                                  }
                                  const bar = event.currentTarget.parentElement!.getBoundingClientRect();
                                  const at = cellAt(event.clientX, bar.left, bar.width, cells.length);
                                  const from = at !== null && cells[at]?.kind === "free" ? at : block.from;
                                  setDrag({
                                    instrumentId: instrument.id,
                                    day: dayIndex,
                                    from,
                                    to: from,
                                    left: bar.left,
                                    width: bar.width,
                                    count: cells.length,
                                  });
                                }}
                                onClick={(event) => {
                                  // A pointer's click was handled when it was let go; keys pick the stretch.
                                  if (event.detail !== 0) return;
                                  const slot = freeStretch(cells, block.from);
                                  if (slot) onSelect(instrument.id, slot, false);
                                }}
                              />
                            );
                          })}
                          <span
                            aria-hidden
                            className="week-timeline-hours-grid"
                            style={{ backgroundSize: `${100 / hours}% 100%` }}
                          />
                          {mine && (
                            <span
                              aria-hidden
                              className="week-timeline-drag"
                              data-testid="week-drag"
                              style={{
                                left: `${(Math.min(mine.from, mine.to) / cells.length) * 100}%`,
                                width: `${((Math.abs(mine.to - mine.from) + 1) / cells.length) * 100}%`,
                              }}
                            />
                          )}
                        </div>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <TimelineLegend testId="week-legend" />
    </section>
  );
}
