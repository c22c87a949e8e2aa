import { App, Button, Card, Form, Input, Modal, Space, Table, Tag, Tooltip } from "antd";
import { useState } from "react";
import type { Instrument } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type ListColumn, sortBy, useListTools } from "../../components/ListTools";
import { useI18n } from "../../i18n";
import { formatLocalMinute } from "../../i18n/problems";
import { useDecision, useDetailedBookings, type DetailedBooking } from "./api";
import { beijingTime, dayLabel } from "./calendar";
import { useActionsColumn } from "./actionsColumn";
import { BookingNotes, NotesToggle, useOpenNotes } from "./BookingNotes";
import { enumText, knownText, useText, type TextId } from "./text";

/** "12-05 周六 09:00–11:00" in Beijing time. */
export function BookedTime({ booking }: { booking: Pick<DetailedBooking, "start_at" | "end_at"> }) {
  const { locale } = useI18n();
  return (
    <span className="nowrap">
      {dayLabel(new Date(booking.start_at), locale)} {beijingTime(booking.start_at)}–
      {beijingTime(booking.end_at)}
    </span>
  );
}

/** Organisation first (in the reader's language), then the person and their e-mail. */
export function BookerCell({ booking }: { booking: DetailedBooking }) {
  const { pickName } = useI18n();
  const { booker } = booking;
  return (
    <div data-testid="booker">
      <div>{pickName(booker.organisation_name, booker.organisation_name_en)}</div>
      <div className="muted">
        {booker.full_name} · {booker.email}
      </div>
    </div>
  );
}

/** Samples and test items of a booking. */
export function SamplesCell({ booking }: { booking: { sample_count: number; test_items?: string[] } }) {
  const t = useText();
  return (
    <div data-testid="samples" className="samples-cell">
      <div>{t("review.samples", { count: booking.sample_count })}</div>
      {(booking.test_items ?? []).length > 0 && (
        <Space size={[4, 4]} wrap>
          {(booking.test_items ?? []).map((item) => (
            <Tag key={item}>{item}</Tag>
          ))}
        </Space>
      )}
    </div>
  );
}

const OPERATOR_COLOURS = {
  authorised: "green",
  lapsed: "red",
  none: "orange",
  not_needed: "default",
} as const;

/** The booker's operator authorisation on the instrument at the booked start. */
export function OperatorTag({ booking }: { booking: DetailedBooking }) {
  const t = useText();
  const { operator } = booking;
  const label =
    operator.state === "authorised" && operator.lapses_at
      ? t("review.operator.until", { date: formatLocalMinute(operator.lapses_at).slice(0, 10) })
      : t(`review.operator.${operator.state}`);
  return (
    <Tag color={OPERATOR_COLOURS[operator.state]} data-testid="operator">
      {label}
    </Tag>
  );
}

/** A red tag when the instrument cannot serve the booked time, with the reason in words. */
export function UnusableTag({ booking }: { booking: DetailedBooking }) {
  const t = useText();
  if (!booking.unusable) return null;
  const id = `calendar.reason.${booking.unusable.reason}`;
  const reason = knownText(id) ? t(id as TextId) : t("calendar.blocked");
  return (
    <Tooltip title={t("review.unusableHint")}>
      <Tag color="red" data-testid="unusable">
        {t("review.unusable", { reason, from: formatLocalMinute(booking.unusable.blocked_from) })}
      </Tag>
    </Tooltip>
  );
}

/** Reject with a reason the booker reads; nothing is sent without one. */
function RejectDialog({ booking, onClose }: { booking: DetailedBooking | null; onClose: () => void }) {
  const t = useText();
  const { message } = App.useApp();
  const decision = useDecision();
  const [form] = Form.useForm<{ reason: string }>();
  return (
    <Modal
      open={booking !== null}
      title={t("review.rejectTitle")}
      okText={t("approvals.reject")}
      cancelText={t("cancel.back")}
      okButtonProps={{ danger: true, loading: decision.isPending }}
      destroyOnHidden
      onCancel={() => {
        decision.reset();
        onClose();
      }}
      onOk={() =>
        void form.validateFields().then(({ reason }) =>
          decision.mutate(
            { id: booking!.id, approve: false, reason: reason.trim() },
            {
              onSuccess: () => {
                void message.success(t("review.rejected"));
                form.resetFields();
                onClose();
              },
            },
          ),
        )
      }
    >
      {decision.error && <ErrorNotice error={decision.error} />}
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item
          name="reason"
          label={t("review.reason")}
          extra={t("review.reasonHint")}
          rules={[{ required: true, whitespace: true, message: t("review.reasonRequired") }]}
        >
          <Input.TextArea rows={3} maxLength={500} showCount data-testid="reject-reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/**
 * Pending bookings on the lab's instruments: who booked (organisation, user), mode, samples,
 * test items, quote and the booker's operator authorisation; a red tag where the instrument
 * cannot serve the time. Approve, or reject with a reason.
 */
export function ApprovalsQueue({ instruments }: { instruments: Instrument[] }) {
  const t = useText();
  const { pickName, locale } = useI18n();
  const { message } = App.useApp();
  const pending = useDetailedBookings("pending");
  const decision = useDecision();
  const [rejecting, setRejecting] = useState<DetailedBooking | null>(null);
  const [notesOpen, toggleNotes] = useOpenNotes();
  const actionsColumn = useActionsColumn();
  const names = new Map(instruments.map((i) => [i.id, pickName(i.name, i.name_en)]));
  const listed: ListColumn<DetailedBooking>[] = [
    { title: t("form.instrument"), value: (b) => names.get(b.instrument_id) ?? b.instrument_id },
    {
      title: t("mine.when"),
      value: (b) => `${formatLocalMinute(b.start_at)}–${formatLocalMinute(b.end_at).slice(11)}`,
    },
    {
      title: t("review.booker"),
      value: (b) =>
        `${pickName(b.booker.organisation_name, b.booker.organisation_name_en)} ${b.booker.full_name} ${b.booker.email}`,
    },
    { title: t("mine.mode"), value: (b) => enumText(locale, "form.mode", b.mode) },
    {
      title: t("review.samplesItems"),
      value: (b) => [t("review.samples", { count: b.sample_count }), ...(b.test_items ?? [])].join(" "),
    },
    { title: t("review.quote"), value: (b) => Number(b.quoted_amount) },
  ];
  const { shown, toolbar } = useListTools(pending.data, listed, "labshare-approvals.csv");
  if (pending.isPending) return <Loading />;
  if (pending.error) return <ErrorNotice error={pending.error} />;
  return (
    <Card role="region" aria-label={t("approvals.title")} title={<h2>{t("approvals.title")}</h2>}>
      {pending.data.length > 0 && <div className="list-tools-row">{toolbar}</div>}
      {decision.error && <ErrorNotice error={decision.error} />}
      <Table<DetailedBooking>
        data-testid="approvals"
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
        locale={{ emptyText: t("approvals.empty") }}
        columns={[
          {
            title: t("form.instrument"),
            key: "instrument",
            sorter: sortBy((b) => b.start_at),
            defaultSortOrder: "ascend",
            render: (_, b) => (
              <>
                <div>{names.get(b.instrument_id) ?? b.instrument_id}</div>
                <BookedTime booking={b} />
                <div>
                  <UnusableTag booking={b} />
                </div>
              </>
            ),
          },
          {
            title: t("review.booker"),
            key: "booker",
            sorter: sortBy((b) => b.booker.organisation_name),
            render: (_, b) => <BookerCell booking={b} />,
          },
          {
            title: t("mine.mode"),
            key: "mode",
            render: (_, b) => (
              <>
                <div>{enumText(locale, "form.mode", b.mode)}</div>
                <OperatorTag booking={b} />
              </>
            ),
          },
          { title: t("review.samplesItems"), key: "samples", render: (_, b) => <SamplesCell booking={b} /> },
          {
            title: t("review.quote"),
            key: "quote",
            align: "right",
            sorter: sortBy((b) => Number(b.quoted_amount)),
            render: (_, b) => <span className="nowrap">¥{b.quoted_amount}</span>,
          },
          {
            title: <span className="visually-hidden">{t("mine.actions")}</span>,
            key: "actions",
            ...actionsColumn,
            render: (_, b) => (
              <Space wrap>
                <NotesToggle open={notesOpen.includes(b.id)} onToggle={() => toggleNotes(b.id)} />
                <Button
                  size="small"
                  type="primary"
                  danger={Boolean(b.unusable)}
                  loading={decision.isPending && decision.variables?.id === b.id}
                  onClick={() =>
                    decision.mutate(
                      { id: b.id, approve: true },
                      { onSuccess: () => void message.success(t("review.approved")) },
                    )
                  }
                >
                  {t("approvals.approve")}
                </Button>
                <Button size="small" onClick={() => setRejecting(b)}>
                  {t("approvals.reject")}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <RejectDialog booking={rejecting} onClose={() => setRejecting(null)} />
    </Card>
  );
}
