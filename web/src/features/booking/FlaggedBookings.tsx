import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Space, Table, Tag, Tooltip } from "antd";
import { useState } from "react";
import type { Instrument } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type ListColumn, sortBy, useListTools } from "../../components/ListTools";
import { useI18n } from "../../i18n";
import { formatLocalMinute } from "../../i18n/problems";
import { BookedTime, BookerCell } from "./ApprovalsQueue";
import { useBulkAction, useFlaggedBookings, type BulkResult, type DetailedBooking } from "./api";
import { knownText, useText, type TextId } from "./text";

type Action = "cancel" | "reschedule";

/** Why the booking was flagged, in words, with the registry's text on hover. */
/** Why the booking is flagged, in words. */
function flagReason(t: ReturnType<typeof useText>, booking: DetailedBooking): string {
  const id = `calendar.reason.${booking.flag ?? ""}`;
  return knownText(id) ? t(id as TextId) : t("calendar.blocked");
}

function FlagTag({ booking }: { booking: DetailedBooking }) {
  const t = useText();
  const reason = flagReason(t, booking);
  return (
    <Tooltip title={booking.flag_detail}>
      <Tag color="red" data-testid="flag">
        {reason}
      </Tag>
    </Tooltip>
  );
}

/** What happened to each booking of a bulk action, in the reader's language. */
function Outcomes({ results, names }: { results: BulkResult[]; names: Map<string, string> }) {
  const t = useText();
  const done = results.filter((r) => r.outcome === "cancelled" || r.outcome === "rescheduled").length;
  return (
    <Alert
      type={done === results.length ? "success" : "warning"}
      showIcon
      data-testid="bulk-outcomes"
      title={t("flagged.outcomes", { done, count: results.length })}
      description={
        <ul style={{ margin: 0, paddingInlineStart: 20 }}>
          {results.map((r) => (
            <li key={r.booking_id}>
              {r.booking ? `${names.get(r.booking.instrument_id) ?? ""} ` : ""}
              {r.booking && r.outcome === "rescheduled" ? formatLocalMinute(r.booking.start_at) + " " : ""}
              {t(`flagged.outcome.${r.outcome}`)}
            </li>
          ))}
        </ul>
      }
    />
  );
}

/**
 * Open bookings on instruments that became unusable (out of service, calibration lapsed,
 * maintenance): the booker and the lab's staff were told when the flag was raised. Staff pick
 * some and cancel them with a reason, or move them all by the same number of hours; the bookers
 * are told again, and freed slots go to the waitlist.
 */
export function FlaggedBookings({ instruments }: { instruments: Instrument[] }) {
  const t = useText();
  const { pickName } = useI18n();
  const { message } = App.useApp();
  const flagged = useFlaggedBookings();
  const bulk = useBulkAction();
  const [selected, setSelected] = useState<string[]>([]);
  const [action, setAction] = useState<Action | null>(null);
  const [results, setResults] = useState<BulkResult[] | null>(null);
  const [form] = Form.useForm<{ reason: string; hours: number }>();
  const names = new Map(instruments.map((i) => [i.id, pickName(i.name, i.name_en)]));
  const listed: ListColumn<DetailedBooking>[] = [
    {
      title: t("form.instrument"),
      value: (b) =>
        `${names.get(b.instrument_id) ?? t("day.otherInstrument")} ${formatLocalMinute(b.start_at)}–${formatLocalMinute(b.end_at).slice(11)}`,
    },
    { title: t("flagged.reason"), value: (b) => [flagReason(t, b), b.flag_detail].filter(Boolean).join(" ") },
    {
      title: t("review.booker"),
      value: (b) =>
        `${pickName(b.booker.organisation_name, b.booker.organisation_name_en)} ${b.booker.full_name} ${b.booker.email}`,
    },
  ];
  const { shown: rows, toolbar } = useListTools(flagged.data, listed, "labshare-flagged-bookings.csv");
  if (flagged.isPending) return <Loading />;
  if (flagged.error) return <ErrorNotice error={flagged.error} />;

  const submit = () =>
    void form
      .validateFields()
      .then(({ reason, hours }) =>
        bulk.mutate(
          {
            booking_ids: selected,
            action: action!,
            reason: reason?.trim() ?? "",
            ...(action === "reschedule" ? { shift_minutes: Math.round(hours * 60) } : {}),
          },
          {
            onSuccess: (outcomes) => {
              setResults(outcomes);
              setSelected([]);
              setAction(null);
              form.resetFields();
              void message.success(t("flagged.sent"));
            },
          },
        ),
      )
      // The form shows what is missing next to the field.
      .catch(() => undefined);

  return (
    <Card role="region" aria-label={t("flagged.title")} title={<h2>{t("flagged.title")}</h2>}>
      <p className="muted">{t("flagged.hint")}</p>
      <Space wrap style={{ marginBottom: 16 }}>
        <Button size="small" disabled={selected.length === 0} onClick={() => setAction("reschedule")}>
          {t("flagged.reschedule", { count: selected.length })}
        </Button>
        <Button size="small" danger disabled={selected.length === 0} onClick={() => setAction("cancel")}>
          {t("flagged.cancel", { count: selected.length })}
        </Button>
      </Space>
      {results && <Outcomes results={results} names={names} />}
      {flagged.data.length > 0 && <div className="list-tools-row">{toolbar}</div>}
      <Table<DetailedBooking>
        data-testid="flagged"
        rowKey="id"
        size="small"
        dataSource={rows}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: t("flagged.empty") }}
        rowSelection={{
          selectedRowKeys: selected,
          onChange: (keys) => setSelected(keys.map(String)),
        }}
        columns={[
          {
            title: t("form.instrument"),
            key: "instrument",
            sorter: sortBy((b) => b.start_at),
            render: (_, b) => (
              <>
                <div>{names.get(b.instrument_id) ?? t("day.otherInstrument")}</div>
                <BookedTime booking={b} />
              </>
            ),
          },
          { title: t("flagged.reason"), key: "flag", render: (_, b) => <FlagTag booking={b} /> },
          { title: t("review.booker"), key: "booker", render: (_, b) => <BookerCell booking={b} /> },
          {
            title: t("flagged.notified"),
            key: "notified",
            render: () => <span className="muted">{t("flagged.notifiedText")}</span>,
          },
        ]}
      />
      <Modal
        open={action !== null}
        title={t(action === "cancel" ? "flagged.cancelTitle" : "flagged.rescheduleTitle", {
          count: selected.length,
        })}
        okText={t(action === "cancel" ? "flagged.cancelOk" : "flagged.rescheduleOk")}
        cancelText={t("day.back")}
        okButtonProps={{ danger: action === "cancel", loading: bulk.isPending }}
        destroyOnHidden
        onCancel={() => {
          bulk.reset();
          setAction(null);
        }}
        onOk={submit}
      >
        {bulk.error && <ErrorNotice error={bulk.error} />}
        <Form form={form} layout="vertical" preserve={false} initialValues={{ hours: 24 }}>
          {action === "reschedule" && (
            <Form.Item
              name="hours"
              label={t("flagged.shift")}
              extra={t("flagged.shiftHint")}
              rules={[
                { required: true, message: t("flagged.shiftRequired") },
                {
                  validator: (_, value: number | null) =>
                    value ? Promise.resolve() : Promise.reject(new Error(t("flagged.shiftRequired"))),
                },
              ]}
            >
              <InputNumber suffix={t("flagged.hours")} step={24} min={-17520} max={17520} />
            </Form.Item>
          )}
          <Form.Item
            name="reason"
            label={t("flagged.message")}
            extra={t("flagged.messageHint")}
            rules={[
              { required: action === "cancel", whitespace: true, message: t("flagged.messageRequired") },
            ]}
          >
            <Input.TextArea rows={3} maxLength={500} showCount data-testid="bulk-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
