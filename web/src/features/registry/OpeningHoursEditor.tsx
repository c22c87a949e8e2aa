import { App, Button, Input } from "antd";
import { useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useSaveHours } from "./editorApi";
import { type TextId, useEditorText } from "./text";
import "./registry.css";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Period {
  opens: string;
  closes: string;
}
export type Week = Record<Weekday, Period[]>;

/** A time input cannot show 24:00: the end of the day is shown and typed as 00:00. */
const END_OF_DAY = "24:00";

/** The record's `{mon: [["08:30", "12:00"], ...]}` as the editor's week. */
export function weekOf(hours: Record<string, unknown> | null | undefined): Week {
  const week = Object.fromEntries(WEEKDAYS.map((day) => [day, [] as Period[]])) as Week;
  for (const day of WEEKDAYS) {
    const spans = hours?.[day];
    if (!Array.isArray(spans)) continue;
    for (const span of spans) {
      if (Array.isArray(span) && span.length === 2) {
        const [opens, closes] = span as [string, string];
        week[day].push({ opens, closes: closes === END_OF_DAY ? "00:00" : closes });
      }
    }
  }
  return week;
}

function closing(value: string): string {
  return value === "00:00" ? END_OF_DAY : value;
}

/**
 * The week in the record's shape, or the problems with it (one per day, in the reader's
 * words). Periods are sorted; no period at all is null: open around the clock.
 */
export function recordOf(
  week: Week,
  t: (id: TextId, vars?: Record<string, string>) => string,
): { hours: Record<string, string[][]> | null; problems: string[] } {
  const hours: Record<string, string[][]> = {};
  const problems: string[] = [];
  for (const day of WEEKDAYS) {
    const dayName = t(`hours.day.${day}`);
    const spans = week[day].map((p) => ({ opens: p.opens, closes: closing(p.closes) }));
    if (spans.some((p) => !p.opens || !p.closes)) {
      problems.push(t("hours.incomplete", { day: dayName }));
      continue;
    }
    if (spans.some((p) => p.closes <= p.opens)) {
      problems.push(t("hours.order", { day: dayName }));
      continue;
    }
    spans.sort((a, b) => a.opens.localeCompare(b.opens));
    if (spans.some((p, i) => i > 0 && p.opens < spans[i - 1]!.closes)) {
      problems.push(t("hours.overlap", { day: dayName }));
      continue;
    }
    if (spans.length) hours[day] = spans.map((p) => [p.opens, p.closes]);
  }
  return { hours: Object.keys(hours).length ? hours : null, problems };
}

/** Weekly opening hours in Beijing time: per weekday none, one or several periods. */
export function OpeningHoursEditor({
  instrumentId,
  hours,
}: {
  instrumentId: string;
  hours: Record<string, unknown> | null | undefined;
}) {
  const t = useEditorText();
  const { message } = App.useApp();
  const [week, setWeek] = useState<Week>(() => weekOf(hours));
  const [problems, setProblems] = useState<string[]>([]);
  const save = useSaveHours(instrumentId);

  const change = (day: Weekday, periods: Period[]) => {
    setWeek((w) => ({ ...w, [day]: periods }));
    setProblems([]);
  };
  const empty = WEEKDAYS.every((day) => week[day].length === 0);

  return (
    <form
      className="card editor-form"
      data-testid="hours-editor"
      onSubmit={(event) => {
        event.preventDefault();
        const result = recordOf(week, t);
        setProblems(result.problems);
        if (result.problems.length) return;
        save.mutate(result.hours, {
          onSuccess: (saved) => {
            setWeek(weekOf(saved.opening_hours));
            void message.success(t("editor.saved"));
          },
        });
      }}
    >
      <h2>{t("hours.title")}</h2>
      <p className="muted">{t("hours.hint")}</p>
      {!!save.error && <ErrorNotice error={save.error} />}
      {problems.length > 0 && (
        <div className="alert alert-error" role="alert" data-testid="hours-problems">
          {problems.map((p) => (
            <div key={p}>{p}</div>
          ))}
        </div>
      )}
      {empty && <p data-testid="hours-around-clock">{t("hours.aroundClock")}</p>}
      <div className="hours-week">
        {WEEKDAYS.map((day) => {
          const dayName = t(`hours.day.${day}`);
          return (
            <div className="hours-day" key={day} data-testid={`hours-${day}`}>
              <span className="hours-day-name">{dayName}</span>
              <div className="hours-periods">
                {week[day].length === 0 && <span className="muted">{t("hours.closed")}</span>}
                {week[day].map((period, index) => (
                  <span className="hours-period" key={index}>
                    <Input
                      type="time"
                      aria-label={`${dayName} ${t("hours.opens")} ${index + 1}`}
                      value={period.opens}
                      onChange={(e) =>
                        change(
                          day,
                          week[day].map((p, i) => (i === index ? { ...p, opens: e.target.value } : p)),
                        )
                      }
                    />
                    <span aria-hidden>–</span>
                    <Input
                      type="time"
                      aria-label={`${dayName} ${t("hours.closes")} ${index + 1}`}
                      value={period.closes}
                      onChange={(e) =>
                        change(
                          day,
                          week[day].map((p, i) => (i === index ? { ...p, closes: e.target.value } : p)),
                        )
                      }
                    />
                    <Button
                      size="small"
                      aria-label={`${dayName} ${t("hours.remove")} ${index + 1}`}
                      onClick={() =>
                        change(
                          day,
                          week[day].filter((_, i) => i !== index),
                        )
                      }
                    >
                      ×
                    </Button>
                  </span>
                ))}
                <Button
                  size="small"
                  type="dashed"
                  aria-label={`${dayName} ${t("hours.add")}`}
                  onClick={() => {
                    const last = week[day][week[day].length - 1];
                    change(day, [
                      ...week[day],
                      last
                        ? { opens: last.closes === "00:00" ? "" : last.closes, closes: "" }
                        : { opens: "08:30", closes: "17:00" },
                    ]);
                  }}
                >
                  + {t("hours.add")}
                </Button>
              </div>
            </div>
          );
        })}
      </div>
      <div className="editor-actions">
        <Button
          onClick={() =>
            setWeek((w) => ({
              ...w,
              tue: w.mon.map((p) => ({ ...p })),
              wed: w.mon.map((p) => ({ ...p })),
              thu: w.mon.map((p) => ({ ...p })),
              fri: w.mon.map((p) => ({ ...p })),
            }))
          }
        >
          {t("hours.copyWeekdays")}
        </Button>
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t("hours.save")}
        </Button>
      </div>
    </form>
  );
}
