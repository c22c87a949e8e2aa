import { Button, Card, Descriptions, Space, Table, Tag, Timeline } from "antd";
import { Link, useParams } from "react-router";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { formatLocalMinute } from "../../i18n/problems";
import { formatValue, formatUnit } from "../../lib/format";
import { stateMessageId } from "../telemetry/states";
import { BookedTime, SamplesCell } from "./ApprovalsQueue";
import { useBookingSession } from "./api";
import { bookingReference } from "./BookingForm";
import { downloadWithToken, sessionDataPath } from "./download";
import { STATUS_COLOURS } from "./status";
import { enumText, knownText, useText, type TextId } from "./text";

type SessionOut = Schemas["BookingSessionOut"];
type BookingEvent = SessionOut["history"][number];
type SessionChannel = SessionOut["channels"][number];
type StateShare = Schemas["SessionStateShare"];

/** One step of the history in words: who decided, how the booker checked in, what was charged. */
function eventText(t: ReturnType<typeof useText>, event: BookingEvent): string {
  const detailId = `session.event.${event.kind}.${event.detail ?? ""}`;
  if (knownText(detailId)) return t(detailId as TextId);
  if (event.kind === "rejected") return t("session.event.rejectedWith", { reason: event.detail ?? "" });
  if (event.kind === "charged") return t("session.event.chargedAmount", { amount: event.detail ?? "" });
  return t(`session.event.${event.kind}`);
}

function History({ session }: { session: SessionOut }) {
  const t = useText();
  return (
    <Card title={<h2>{t("session.history")}</h2>} size="small">
      <Timeline
        data-testid="booking-history"
        items={session.history.map((event) => ({
          color: event.kind === "rejected" || event.kind === "no_show" ? "red" : "blue",
          content: (
            <>
              <div className="muted">{formatLocalMinute(event.at)}</div>
              <div>{eventText(t, event)}</div>
            </>
          ),
        }))}
      />
    </Card>
  );
}

function Certificates({ session }: { session: SessionOut }) {
  const t = useText();
  return (
    <Card title={<h2>{t("session.certificate")}</h2>} size="small" data-testid="session-certificates">
      {session.certificates.length === 0 && <p className="muted">{t("session.noCertificate")}</p>}
      {session.certificates.map((c) => (
        <Descriptions
          key={c.number}
          size="small"
          column={1}
          style={{ marginBottom: 16 }}
          title={
            <Space wrap>
              <span>{c.number}</span>
              <Tag color={c.covers_session ? "green" : "orange"}>
                {t(c.covers_session ? "session.covers" : "session.coversPart")}
              </Tag>
            </Space>
          }
          items={[
            { key: "agency", label: t("session.agency"), children: c.agency },
            {
              key: "valid",
              label: t("session.valid"),
              children: `${formatLocalMinute(c.valid_from).slice(0, 10)} – ${formatLocalMinute(c.valid_to).slice(0, 10)}`,
            },
            {
              key: "result",
              label: t("session.result"),
              children: knownText(`session.result.${c.result}`)
                ? t(`session.result.${c.result}` as TextId)
                : c.result,
            },
            ...(c.expanded_uncertainty != null
              ? [
                  {
                    key: "uncertainty",
                    label: t("session.uncertainty"),
                    children: `U = ${c.expanded_uncertainty} ${formatUnit(c.uncertainty_unit)}${
                      c.coverage_factor != null ? ` (k = ${c.coverage_factor})` : ""
                    }`,
                  },
                ]
              : []),
          ]}
        />
      ))}
    </Card>
  );
}

function Data({ session }: { session: SessionOut }) {
  const t = useText();
  const { pickName } = useI18n();
  const api = useApi();
  const booking = session.booking;
  return (
    <Card title={<h2>{t("session.data")}</h2>} size="small" data-testid="session-data">
      <Space wrap style={{ marginBottom: 12 }}>
        <span className="muted">
          {t("session.window", {
            from: formatLocalMinute(session.window_start),
            to: formatLocalMinute(session.window_end).slice(11),
          })}
        </span>
        <Button
          size="small"
          onClick={() => void downloadWithToken(api, sessionDataPath(booking), `labshare-${booking.id}.csv`)}
        >
          {t("mine.data")}
        </Button>
      </Space>
      <Table<SessionChannel>
        rowKey="id"
        size="small"
        pagination={false}
        scroll={{ x: "max-content" }}
        dataSource={session.channels}
        locale={{ emptyText: t("session.noChannels") }}
        columns={[
          { title: t("session.channel"), key: "name", render: (_, c) => pickName(c.name, c.name_en) },
          { title: t("session.readings"), dataIndex: "readings", align: "right" },
          ...(["min", "mean", "max"] as const).map((key, index) => ({
            title: t(`session.${key}`),
            key,
            align: "right" as const,
            // A status channel's values in words take the place of its three numbers.
            onCell: (c: SessionChannel) =>
              c.states ? { colSpan: index === 0 ? 3 : 0, style: { textAlign: "left" as const } } : {},
            render: (_: unknown, c: SessionChannel) =>
              c.states ? (
                <StateShares states={c.states} />
              ) : c[key] == null ? (
                "—"
              ) : (
                `${formatValue(c[key], c.unit)} ${formatUnit(c.unit)}`.trim()
              ),
          })),
        ]}
      />
    </Card>
  );
}

/** A status channel over the session: each value it took in words, with how often it was read. */
function StateShares({ states }: { states: StateShare[] }) {
  const t = useText();
  const i18n = useI18n();
  const words = (share: StateShare) =>
    share.name
      ? i18n.pickName(share.name, share.name_en ?? null)
      : share.state
        ? i18n.t(stateMessageId(share.state))
        : t("session.unmapped", { value: share.value });
  return (
    <Space size={[4, 4]} wrap data-testid="state-shares">
      {states.length === 0
        ? "—"
        : states.map((share) => (
            <Tag key={share.value} data-value={share.value}>
              {t("session.stateShare", { state: words(share), count: share.readings })}
            </Tag>
          ))}
    </Space>
  );
}

function ChargeCard({ session }: { session: SessionOut }) {
  const t = useText();
  const { locale } = useI18n();
  const charge = session.charge;
  return (
    <Card title={<h2>{t("session.charge")}</h2>} size="small" data-testid="session-charge">
      {charge ? (
        <Descriptions
          size="small"
          column={1}
          items={[
            {
              key: "kind",
              label: t("statements.kind"),
              children: knownText(`kind.${charge.kind}`) ? t(`kind.${charge.kind}` as TextId) : charge.kind,
            },
            { key: "minutes", label: t("statements.minutes"), children: charge.minutes },
            { key: "amount", label: t("statements.amount"), children: `¥${charge.amount}` },
            { key: "voucher", label: t("statements.voucher"), children: `¥${charge.voucher_amount}` },
            { key: "payable", label: t("session.payable"), children: `¥${charge.enterprise_amount}` },
            {
              key: "category",
              label: t("session.category"),
              children: enumText(locale, "category", charge.category),
            },
          ]}
        />
      ) : (
        <p className="muted">{t("session.noCharge", { quote: session.booking.quoted_amount })}</p>
      )}
    </Card>
  );
}

/** One booking looked back on: history, the certificate that covered it, its data and charge. */
export function BookingSessionPage() {
  const { bookingId = "" } = useParams();
  const t = useText();
  const { pickName, locale } = useI18n();
  const found = useBookingSession(bookingId);
  if (found.isPending) return <Loading />;
  if (found.error) return <ErrorNotice error={found.error} />;
  const session = found.data;
  const booking = session.booking;
  return (
    <div className="page">
      <Link to="/bookings">{t("session.back")}</Link>
      <Card title={<h1>{pickName(booking.instrument_name, booking.instrument_name_en)}</h1>}>
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 2, lg: 3 }}
          items={[
            {
              key: "reference",
              label: t("session.reference"),
              children: <span data-testid="session-reference">{bookingReference(booking.id)}</span>,
            },
            { key: "time", label: t("mine.when"), children: <BookedTime booking={booking} /> },
            {
              key: "status",
              label: t("mine.status"),
              children: (
                <Tag color={STATUS_COLOURS[booking.status] ?? "default"} data-testid="session-status">
                  {enumText(locale, "status", booking.status)}
                </Tag>
              ),
            },
            { key: "mode", label: t("mine.mode"), children: enumText(locale, "form.mode", booking.mode) },
            { key: "samples", label: t("review.samplesItems"), children: <SamplesCell booking={booking} /> },
            { key: "quote", label: t("review.quote"), children: `¥${booking.quoted_amount}` },
          ]}
        />
      </Card>
      <div className="grid-2">
        <History session={session} />
        <Certificates session={session} />
      </div>
      <Data session={session} />
      <ChargeCard session={session} />
    </div>
  );
}
