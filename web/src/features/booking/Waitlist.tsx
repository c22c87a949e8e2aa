import { Alert, Button, Card, Popconfirm, Space, Table, Tag } from "antd";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import type { Instrument } from "../../api/types";
import { useI18n } from "../../i18n";
import { formatLocalMinute } from "../../i18n/problems";
import { useWaitlist, useWaitlistAction, type WaitlistEntry } from "./api";
import { bookingReference } from "./BookingForm";
import { knownText, useText } from "./text";

const COLOURS: Record<string, string> = { waiting: "gold", offered: "blue", accepted: "green" };

/** The slots the user waits for: an offered one is accepted (it becomes a booking) or left. */
export function Waitlist({ instruments }: { instruments: Instrument[] }) {
  const t = useText();
  const { pickName } = useI18n();
  const entries = useWaitlist();
  const action = useWaitlistAction();
  if (entries.isPending) return <Loading />;
  if (entries.error) return <ErrorNotice error={entries.error} />;
  // Nothing to show until the user has waited for a slot.
  if (entries.data.length === 0) return null;
  const names = new Map(instruments.map((i) => [i.id, pickName(i.name, i.name_en)]));
  const statusText = (status: string) => {
    const id = `waitlist.status.${status}`;
    return knownText(id) ? t(id) : status;
  };
  return (
    <Card role="region" aria-label={t("waitlist.title")} title={<h2>{t("waitlist.title")}</h2>}>
      {action.error && <ErrorNotice error={action.error} />}
      {action.data && (
        <Alert
          type="success"
          showIcon
          role="status"
          data-testid="offer-accepted"
          title={t("waitlist.accepted", { reference: bookingReference(action.data.id) })}
        />
      )}
      <Table<WaitlistEntry>
        data-testid="waitlist"
        rowKey="id"
        size="small"
        dataSource={entries.data}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: t("waitlist.empty") }}
        columns={[
          {
            title: t("form.instrument"),
            key: "instrument",
            render: (_, e) => names.get(e.instrument_id) ?? "—",
          },
          {
            title: t("mine.when"),
            key: "when",
            render: (_, e) => `${formatLocalMinute(e.start_at)}–${formatLocalMinute(e.end_at).slice(11)}`,
          },
          {
            title: t("mine.status"),
            key: "status",
            render: (_, e) => (
              <>
                <Tag color={COLOURS[e.status] ?? "default"}>{statusText(e.status)}</Tag>
                {e.status === "offered" && e.offer_expires_at && (
                  <div>{t("waitlist.offerUntil", { time: formatLocalMinute(e.offer_expires_at) })}</div>
                )}
              </>
            ),
          },
          {
            title: <span className="visually-hidden">{t("mine.actions")}</span>,
            key: "actions",
            render: (_, e) => (
              <Space wrap>
                {e.status === "offered" && (
                  <Button
                    size="small"
                    type="primary"
                    loading={action.isPending}
                    onClick={() => action.mutate({ id: e.id, action: "accept" })}
                  >
                    {t("waitlist.accept")}
                  </Button>
                )}
                {(e.status === "waiting" || e.status === "offered") && (
                  <Popconfirm
                    title={t("waitlist.leave")}
                    okText={t("waitlist.leave")}
                    cancelText={t("cancel.back")}
                    onConfirm={() => action.mutate({ id: e.id, action: "leave" })}
                  >
                    <Button size="small">{t("waitlist.leave")}</Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}
