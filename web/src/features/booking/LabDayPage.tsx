import { App, Button, Card, DatePicker, Empty, Space, Table, Tag } from "antd";
import dayjs from "dayjs";
import { useEffect, useState } from "react";
import type { Instrument } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type ListColumn, useListTools } from "../../components/ListTools";
import { useI18n } from "../../i18n";
import { formatLocalMinute } from "../../i18n/problems";
import { useInstruments } from "../instruments";
import { BookerCell, SamplesCell } from "./ApprovalsQueue";
import { useAttendance, useLabDay, type DetailedBooking } from "./api";
import { attendance, byInstrument } from "./attendance";
import { beijingMidnight, beijingTime, dayLabel } from "./calendar";
import { FlaggedBookings } from "./FlaggedBookings";
import { STATUS_COLOURS } from "./status";
import { enumText, useText } from "./text";

const DAY_MS = 24 * 3600 * 1000;

/** A clock that ticks each minute, so the buttons and over-run minutes follow the time. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 60_000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

/** Status, the way the booker checked in, actual use and any over-run. */
function UseCell({ booking, now }: { booking: DetailedBooking; now: number }) {
  const t = useText();
  const { locale } = useI18n();
  const state = attendance(booking, now);
  return (
    <Space orientation="vertical" size={2}>
      <Tag color={STATUS_COLOURS[booking.status] ?? "default"} data-testid="day-status">
        {enumText(locale, "status", booking.status)}
      </Tag>
      {booking.checked_in_at && (
        <span className="muted nowrap">
          {t(booking.check_in_source === "telemetry" ? "day.checkedInBySignal" : "day.checkedInByStaff", {
            time: beijingTime(booking.checked_in_at),
          })}
        </span>
      )}
      {booking.actual_minutes != null && (
        <span className="nowrap">{t("day.actual", { minutes: booking.actual_minutes })}</span>
      )}
      {state.overrunMinutes > 0 && (
        <Tag color="red" data-testid="overrun">
          {t(state.overrunning ? "day.overrunning" : "day.overran", { minutes: state.overrunMinutes })}
        </Tag>
      )}
    </Space>
  );
}

function InstrumentDay({
  title,
  bookings,
  now,
}: {
  title: string;
  bookings: DetailedBooking[];
  now: number;
}) {
  const t = useText();
  const { locale } = useI18n();
  const { message, modal } = App.useApp();
  const record = useAttendance();
  return (
    <Card size="small" title={<h3>{title}</h3>} data-testid="day-instrument">
      {record.error && <ErrorNotice error={record.error} />}
      <Table<DetailedBooking>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={bookings}
        scroll={{ x: "max-content" }}
        columns={[
          {
            title: t("day.time"),
            key: "time",
            render: (_, b) => (
              <span className="nowrap">
                {beijingTime(b.start_at)}–{beijingTime(b.end_at)}
              </span>
            ),
          },
          { title: t("review.booker"), key: "booker", render: (_, b) => <BookerCell booking={b} /> },
          {
            title: t("mine.mode"),
            key: "mode",
            render: (_, b) => (
              <>
                <div>{enumText(locale, "form.mode", b.mode)}</div>
                {(b.sample_count > 0 || b.test_items.length > 0) && <SamplesCell booking={b} />}
              </>
            ),
          },
          { title: t("day.use"), key: "use", render: (_, b) => <UseCell booking={b} now={now} /> },
          {
            title: <span className="visually-hidden">{t("mine.actions")}</span>,
            key: "actions",
            render: (_, b) => {
              const state = attendance(b, now);
              const busy = record.isPending && record.variables?.id === b.id;
              return (
                <Space wrap>
                  {state.canCheckIn && (
                    <Button
                      size="small"
                      type="primary"
                      loading={busy && record.variables?.arrived}
                      onClick={() =>
                        record.mutate(
                          { id: b.id, arrived: true },
                          { onSuccess: () => void message.success(t("day.checkedIn")) },
                        )
                      }
                    >
                      {t("day.checkIn")}
                    </Button>
                  )}
                  {state.canMarkNoShow && (
                    <Button
                      size="small"
                      danger
                      loading={busy && !record.variables?.arrived}
                      onClick={() =>
                        modal.confirm({
                          title: t("day.noShowTitle"),
                          content: t("day.noShowBody", {
                            who: b.booker.organisation_name,
                            time: `${beijingTime(b.start_at)}–${beijingTime(b.end_at)}`,
                          }),
                          okText: t("day.noShow"),
                          okButtonProps: { danger: true },
                          cancelText: t("day.back"),
                          onOk: () =>
                            record.mutateAsync({ id: b.id, arrived: false }).then(() => {
                              void message.success(t("day.noShowRecorded"));
                            }),
                        })
                      }
                    >
                      {t("day.noShow")}
                    </Button>
                  )}
                </Space>
              );
            },
          },
        ]}
      />
    </Card>
  );
}

/** One Beijing day of the lab's bookings, per instrument. */
function DayWork({ instruments }: { instruments: Instrument[] }) {
  const t = useText();
  const { pickName, locale } = useI18n();
  const now = useNow();
  const [day, setDay] = useState(() => beijingMidnight(new Date()).getTime());
  const start = new Date(day).toISOString();
  const end = new Date(day + DAY_MS).toISOString();
  const bookings = useLabDay(start, end);
  const names = new Map(instruments.map((i) => [i.id, pickName(i.name, i.name_en)]));
  const active = (bookings.data ?? []).filter((b) => b.status !== "cancelled" && b.status !== "rejected");
  const listed: ListColumn<DetailedBooking>[] = [
    { title: t("form.instrument"), value: (b) => names.get(b.instrument_id) ?? t("day.otherInstrument") },
    {
      title: t("day.time"),
      value: (b) => `${formatLocalMinute(b.start_at)}–${formatLocalMinute(b.end_at).slice(11)}`,
    },
    {
      title: t("review.booker"),
      value: (b) =>
        `${pickName(b.booker.organisation_name, b.booker.organisation_name_en)} ${b.booker.full_name} ${b.booker.email}`,
    },
    { title: t("mine.mode"), value: (b) => enumText(locale, "form.mode", b.mode) },
    { title: t("mine.status"), value: (b) => enumText(locale, "status", b.status) },
  ];
  const { shown, toolbar } = useListTools(
    active,
    listed,
    `labshare-day-${new Date(day + 8 * 3600 * 1000).toISOString().slice(0, 10)}.csv`,
  );
  const today = beijingMidnight(new Date(now)).getTime() === day;
  return (
    <Card
      role="region"
      aria-label={t("day.title")}
      title={<h2>{t(today ? "day.title" : "day.titleOn", { day: dayLabel(new Date(day), locale) })}</h2>}
    >
      <Space wrap style={{ marginBottom: 16 }}>
        <Button size="small" onClick={() => setDay(day - DAY_MS)}>
          {t("day.previous")}
        </Button>
        <DatePicker
          size="small"
          allowClear={false}
          aria-label={t("day.pick")}
          value={dayjs(new Date(day + 8 * 3600 * 1000).toISOString().slice(0, 10))}
          onChange={(value) => {
            if (value)
              setDay(beijingMidnight(new Date(`${value.format("YYYY-MM-DD")}T12:00:00+08:00`)).getTime());
          }}
        />
        <Button size="small" onClick={() => setDay(day + DAY_MS)}>
          {t("day.next")}
        </Button>
        {!today && (
          <Button size="small" type="link" onClick={() => setDay(beijingMidnight(new Date()).getTime())}>
            {t("day.today")}
          </Button>
        )}
      </Space>
      {active.length > 0 && <div className="list-tools-row">{toolbar}</div>}
      {bookings.isPending && <Loading />}
      {bookings.error && <ErrorNotice error={bookings.error} onRetry={() => void bookings.refetch()} />}
      {bookings.data && shown.length === 0 && <Empty description={t("day.empty")} />}
      <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
        {byInstrument(shown).map(([instrumentId, rows]) => (
          <InstrumentDay
            key={instrumentId}
            title={names.get(instrumentId) ?? t("day.otherInstrument")}
            bookings={rows}
            now={now}
          />
        ))}
      </Space>
    </Card>
  );
}

/** The lab's day: who comes to which instrument when, arrivals, no-shows and over-runs; and the
 *  bookings an outage or a calibration lapse put at risk, to move or cancel together. */
export function LabDayPage() {
  const instruments = useInstruments();
  if (instruments.isPending) return <Loading />;
  if (instruments.error) return <ErrorNotice error={instruments.error} />;
  return (
    <div className="page">
      <DayWork instruments={instruments.data} />
      <FlaggedBookings instruments={instruments.data} />
    </div>
  );
}
