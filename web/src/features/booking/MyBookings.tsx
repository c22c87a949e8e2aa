import { Alert, Button, Card, Popconfirm, Space, Table, Tag } from "antd";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type ListColumn, sortBy, useListTools } from "../../components/ListTools";
import { formatLocalMinute } from "../../i18n/problems";
import { useI18n } from "../../i18n";
import { useCurrentUser } from "../auth/queries";
import { isInstitutionRole } from "../auth/roles";
import { BookerCell, SamplesCell } from "./ApprovalsQueue";
import {
  useBookingAction,
  useBookingPolicy,
  useBookings,
  useCalendarLinks,
  useDetailedBookings,
  type Booking,
  type ListedBooking,
} from "./api";
import { beijingTime, dayLabel } from "./calendar";
import { Link } from "react-router";
import { downloadWithToken, sessionDataPath } from "./download";
import { STATUS_COLOURS } from "./status";
import { percent } from "./quote";
import { RescheduleButton } from "./RescheduleButton";
import { bookingReference } from "./BookingForm";
import { useActionsColumn } from "./actionsColumn";
import { BookingNotes, NotesToggle, useOpenNotes } from "./BookingNotes";
import { bookingsTitle, enumText, useText } from "./text";

function When({ booking }: { booking: Booking }) {
  const { locale } = useI18n();
  const start = new Date(booking.start_at);
  // Past years' bookings say their year: "12-05" alone would read as this December.
  const year = beijingYear(start);
  return (
    <>
      {year !== beijingYear(new Date()) && `${year}-`}
      {dayLabel(start, locale)} {beijingTime(booking.start_at)}–{beijingTime(booking.end_at)}
    </>
  );
}

function beijingYear(at: Date): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" }).format(at);
}

/** Newest first: upcoming and recent bookings before last year's. */
function newestFirst(bookings: readonly ListedBooking[]): ListedBooking[] {
  return [...bookings].sort((a, b) => Date.parse(b.start_at) - Date.parse(a.start_at));
}

/** What cancelling costs, from the instrument's policy: free before the window, a share after. */
export function cancellationCharge(
  booking: Pick<Booking, "start_at" | "quoted_amount">,
  policy: { cancellation_window_hours: number; late_cancellation_share: string },
  now: number = Date.now(),
): { late: boolean; amount: string } {
  const hoursLeft = (Date.parse(booking.start_at) - now) / 3_600_000;
  const late = hoursLeft < policy.cancellation_window_hours && Number(policy.late_cancellation_share) > 0;
  const fen = Math.round(Number(booking.quoted_amount) * Number(policy.late_cancellation_share) * 100);
  return { late, amount: (fen / 100).toFixed(2) };
}

/** Cancel with a confirmation that states the late-cancellation charge when one applies. */
function CancelButton({
  booking,
  onConfirm,
  busy,
}: {
  booking: Booking;
  onConfirm: () => void;
  busy: boolean;
}) {
  const t = useText();
  const [open, setOpen] = useState(false);
  const policy = useBookingPolicy(booking.instrument_id, open);
  let description = t("cancel.checking");
  if (policy.data) {
    const { late, amount } = cancellationCharge(booking, policy.data);
    description = late
      ? t("cancel.late", {
          hours: policy.data.cancellation_window_hours,
          share: percent(policy.data.late_cancellation_share),
          amount,
        })
      : t("cancel.free", { hours: policy.data.cancellation_window_hours });
  }
  return (
    <Popconfirm
      open={open}
      onOpenChange={setOpen}
      title={t("cancel.title")}
      description={<span data-testid="cancel-terms">{description}</span>}
      okText={t("cancel.ok")}
      cancelText={t("cancel.back")}
      okButtonProps={{ danger: true, disabled: !policy.data, loading: busy }}
      onConfirm={onConfirm}
    >
      <Button size="small" danger>
        {t("mine.cancel")}
      </Button>
    </Popconfirm>
  );
}

/**
 * The bookings the server shows this user (their enterprise's, or for lab staff the
 * institution's): status, mode, fee, actual use, cancel, and the iCal feed link.
 */
export function MyBookings() {
  const t = useText();
  const api = useApi();
  const me = useCurrentUser();
  const title = t(bookingsTitle(me.data?.role));
  // Lab staff and platform admins also see who booked each booking on their instruments.
  const staff =
    me.data !== undefined && (isInstitutionRole(me.data.role) || me.data.role === "platform_admin");
  const detailed = useDetailedBookings(undefined, staff);
  const bookers = new Map((detailed.data ?? []).map((d) => [d.id, d]));
  const { pickName, locale } = useI18n();
  const bookings = useBookings();
  const links = useCalendarLinks(locale);
  const action = useBookingAction();
  const [moved, setMoved] = useState<Booking | null>(null);
  const [notesOpen, toggleNotes] = useOpenNotes();
  const actionsColumn = useActionsColumn();
  const listed: ListColumn<ListedBooking>[] = [
    { title: t("form.instrument"), value: (b) => pickName(b.instrument_name, b.instrument_name_en) },
    {
      title: t("mine.when"),
      value: (b) => `${formatLocalMinute(b.start_at)}–${formatLocalMinute(b.end_at).slice(11)}`,
    },
    ...(staff
      ? [
          {
            title: t("mine.bookedBy"),
            value: (b: ListedBooking) => {
              const found = bookers.get(b.id)?.booker;
              return found
                ? `${pickName(found.organisation_name, found.organisation_name_en)} ${found.full_name} ${found.email}`
                : "";
            },
          },
        ]
      : []),
    { title: t("mine.mode"), value: (b) => enumText(locale, "form.mode", b.mode) },
    { title: t("review.samplesItems"), value: (b) => [b.sample_count, ...(b.test_items ?? [])].join(" ") },
    { title: t("mine.status"), value: (b) => enumText(locale, "status", b.status) },
    { title: t("mine.fee"), value: (b) => Number(b.quoted_amount) },
  ];
  const { shown, toolbar } = useListTools(
    bookings.data ? newestFirst(bookings.data) : undefined,
    listed,
    "labshare-bookings.csv",
  );
  if (bookings.isPending) return <Loading />;
  if (bookings.error) return <ErrorNotice error={bookings.error} />;
  return (
    <Card
      role="region"
      aria-label={title}
      title={<h2>{title}</h2>}
      extra={
        links.data && (
          <a href={links.data.user_feed} data-testid="ical-link">
            {t("mine.ical")}
          </a>
        )
      }
    >
      {bookings.data.length > 0 && <div className="list-tools-row">{toolbar}</div>}
      {action.error && <ErrorNotice error={action.error} />}
      {moved && (
        <Alert
          type="success"
          showIcon
          closable
          role="status"
          data-testid="rescheduled"
          onClose={() => setMoved(null)}
          title={t("reschedule.done", { reference: bookingReference(moved.id) })}
        />
      )}
      <Table<ListedBooking>
        data-testid="my-bookings"
        rowKey="id"
        size="small"
        dataSource={shown}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: "max-content" }}
        expandable={{
          expandedRowKeys: notesOpen,
          showExpandColumn: false,
          expandedRowRender: (b) => <BookingNotes bookingId={b.id} />,
        }}
        locale={{ emptyText: t("mine.empty") }}
        columns={[
          {
            title: t("form.instrument"),
            key: "instrument",
            render: (_, b) => pickName(b.instrument_name, b.instrument_name_en),
          },
          {
            title: t("mine.when"),
            key: "when",
            sorter: sortBy((b) => b.start_at),
            render: (_, b) => <When booking={b} />,
          },
          ...(staff
            ? [
                {
                  title: t("mine.bookedBy"),
                  key: "booker",
                  render: (_: unknown, b: Booking) => {
                    const found = bookers.get(b.id);
                    return found ? <BookerCell booking={found} /> : "—";
                  },
                },
              ]
            : []),
          { title: t("mine.mode"), key: "mode", render: (_, b) => enumText(locale, "form.mode", b.mode) },
          { title: t("review.samplesItems"), key: "samples", render: (_, b) => <SamplesCell booking={b} /> },
          {
            title: t("mine.status"),
            key: "status",
            sorter: sortBy((b) => enumText(locale, "status", b.status)),
            render: (_, b) => (
              <>
                <Tag color={STATUS_COLOURS[b.status] ?? "default"}>
                  {enumText(locale, "status", b.status)}
                </Tag>
                {b.decision_reason && (
                  <div data-testid="decision-reason">{t("mine.reason", { reason: b.decision_reason })}</div>
                )}
                {b.flag && (
                  <div className="alert alert-error">{t("flag", { detail: b.flag_detail ?? b.flag })}</div>
                )}
              </>
            ),
          },
          {
            title: t("mine.fee"),
            key: "fee",
            sorter: sortBy((b) => Number(b.quoted_amount)),
            render: (_, b) => (
              <>
                ¥{b.quoted_amount}
                {b.actual_minutes !== null && <div>{t("mine.actual", { minutes: b.actual_minutes })}</div>}
                {b.overrun_minutes > 0 && <div>{t("mine.overrun", { minutes: b.overrun_minutes })}</div>}
              </>
            ),
          },
          {
            title: <span className="visually-hidden">{t("mine.actions")}</span>,
            key: "actions",
            ...actionsColumn,
            render: (_, b) => (
              <Space wrap>
                <NotesToggle open={notesOpen.includes(b.id)} onToggle={() => toggleNotes(b.id)} />
                <Link to={`/bookings/${b.id}`} data-testid="booking-details">
                  {t("session.open")}
                </Link>
                {(b.status === "checked_in" || b.status === "completed") && (
                  <Button
                    size="small"
                    onClick={() => void downloadWithToken(api, sessionDataPath(b), `labshare-${b.id}.csv`)}
                  >
                    {t("mine.data")}
                  </Button>
                )}
                {(b.status === "pending" || b.status === "confirmed") && b.user_id === me.data?.id && (
                  <RescheduleButton booking={b} onMoved={setMoved} />
                )}
                {(b.status === "pending" || b.status === "confirmed") && (
                  <CancelButton
                    booking={b}
                    busy={action.isPending}
                    onConfirm={() => action.mutate({ id: b.id, action: "cancel" })}
                  />
                )}
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}
