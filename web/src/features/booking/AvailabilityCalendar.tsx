import { Button, Card, Segmented, Space } from "antd";
import { useMemo, useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import type { Instrument } from "../../api/types";
import { useI18n } from "../../i18n";
import { useAvailability, type Slot } from "./api";
import { DayTimeline } from "./DayTimeline";
import { WeekTimeline } from "./WeekTimeline";
import { beijingTime, dayLabel, dayStatus, slotsOn, weekDays } from "./calendar";
import { dayStatusText, useText } from "./text";

export interface AvailabilityCalendarProps {
  instruments: Instrument[];
  /** A picked free period; `exact` when the user chose its start and end (the day timeline). */
  onPick: (instrumentId: string, slot: Slot, exact?: boolean) => void;
  /** The first day shown; tests fix it, the app starts today. */
  from?: Date;
  /** The timeline under the grid: one day, or the week (`?view=week` on the bookings page). */
  view?: TimelineView;
  onViewChange?: (view: TimelineView) => void;
}

export type TimelineView = "day" | "week";

/** A week grid across instruments: free hours per day, and the free slots of a chosen cell. */
export function AvailabilityCalendar({
  instruments,
  onPick,
  from,
  view: shownView,
  onViewChange,
}: AvailabilityCalendarProps) {
  const t = useText();
  const { locale, pickName } = useI18n();
  const [offset, setOffset] = useState(0);
  const [cell, setCell] = useState<{ instrumentId: string; day: number } | null>(null);
  const [timelineDay, setTimelineDay] = useState(0);
  const [ownView, setOwnView] = useState<TimelineView>("day");
  const view = shownView ?? ownView;
  const setView = (next: TimelineView) => {
    setOwnView(next);
    onViewChange?.(next);
  };
  const days = useMemo(() => {
    const first = from ?? new Date();
    return weekDays(new Date(first.getTime() + offset * 7 * 24 * 3600 * 1000));
  }, [from, offset]);
  const start = days[0]!.toISOString();
  const end = new Date(days[6]!.getTime() + 24 * 3600 * 1000).toISOString();
  const availability = useAvailability(start, end);
  const byInstrument = useMemo(
    () => new Map((availability.data ?? []).map((a) => [a.instrument_id, a])),
    [availability.data],
  );
  if (availability.isPending) return <Loading />;
  if (availability.error) return <ErrorNotice error={availability.error} />;

  const chosen = cell ? byInstrument.get(cell.instrumentId) : undefined;
  const chosenSlots = cell && chosen ? slotsOn(days[cell.day]!, chosen.free) : [];

  const chosenInstrument = cell ? instruments.find((i) => i.id === cell.instrumentId) : undefined;
  const pickTitle =
    cell && chosenInstrument
      ? t("calendar.pickFor", {
          instrument: pickName(chosenInstrument.name, chosenInstrument.name_en),
          day: dayLabel(days[cell.day]!, locale),
        })
      : t("calendar.pick");

  return (
    <Card
      title={<h2>{t("calendar.title")}</h2>}
      aria-label={t("calendar.title")}
      role="region"
      extra={
        <Space>
          <Button size="small" onClick={() => setOffset(offset - 1)} disabled={offset <= 0}>
            {t("calendar.prev")}
          </Button>
          <Button size="small" onClick={() => setOffset(offset + 1)}>
            {t("calendar.next")}
          </Button>
        </Space>
      }
    >
      <div className="table-scroll">
        <table className="latest-table availability-grid" data-testid="availability-grid">
          <thead>
            <tr>
              <th>{t("calendar.instrument")}</th>
              {days.map((day) => (
                <th key={day.toISOString()}>{dayLabel(day, locale)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {instruments.map((instrument) => {
              const a = byInstrument.get(instrument.id);
              return (
                <tr key={instrument.id}>
                  <th scope="row">{pickName(instrument.name, instrument.name_en)}</th>
                  {days.map((day, index) => {
                    const status = dayStatus(day, a);
                    if (status.kind === "free") {
                      const hours = Math.round((status.minutes / 60) * 10) / 10;
                      return (
                        <td key={day.toISOString()}>
                          <Button
                            size="small"
                            type={
                              cell?.instrumentId === instrument.id && cell.day === index
                                ? "primary"
                                : "default"
                            }
                            onClick={() => {
                              setCell({ instrumentId: instrument.id, day: index });
                              setTimelineDay(index);
                            }}
                          >
                            {t("calendar.freeHours", { hours })}
                          </Button>
                        </td>
                      );
                    }
                    return (
                      <td key={day.toISOString()}>
                        <span
                          className={`muted day-${status.kind}`}
                          data-testid="day-status"
                          title={
                            (status.kind === "blocked" || status.kind === "blackout") && status.detail
                              ? status.detail
                              : undefined
                          }
                        >
                          {t(dayStatusText(status))}
                        </span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div role="group" aria-label={t("timeline.view")} style={{ marginTop: 16 }}>
        <Segmented
          value={view}
          onChange={(value) => setView(value === "week" ? "week" : "day")}
          options={[
            { value: "day", label: t("timeline.viewDay") },
            { value: "week", label: t("timeline.viewWeek") },
          ]}
          data-testid="timeline-view"
        />
      </div>
      {view === "week" ? (
        <WeekTimeline instruments={instruments} now={from} onSelect={onPick} />
      ) : (
        <DayTimeline
          instruments={instruments}
          availability={byInstrument}
          days={days}
          day={timelineDay}
          onDay={setTimelineDay}
          onSelect={(instrumentId, slot) => onPick(instrumentId, slot, true)}
        />
      )}
      {cell && (
        <div className="slot-picker" role="group" aria-label={pickTitle} data-testid="slot-picker">
          <h3 data-testid="slot-picker-title">{pickTitle}</h3>
          <Space wrap>
            {chosenSlots.map((slot) => (
              <Button key={slot.start} onClick={() => onPick(cell.instrumentId, slot)}>
                {beijingTime(slot.start)}–{beijingTime(slot.end)}
              </Button>
            ))}
          </Space>
          <p className="muted">{t("calendar.pickHint")}</p>
        </div>
      )}
    </Card>
  );
}
