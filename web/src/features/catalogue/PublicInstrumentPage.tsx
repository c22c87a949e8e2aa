import { Button, Card, Col, Descriptions, Empty, Result, Row, Space, Table, Tag, Typography } from "antd";
import { Link, useLocation } from "react-router";
import { ApiError } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { loginPath, useCurrentUser, useSignedIn } from "../auth";
import { CalibrationStatusLabel, formatBeijing } from "../calibration";
import { stateColour, stateMessageId } from "../telemetry/states";
import { type PublicInstrument, usePublicInstrument } from "./api";
import { clock, slotLabel, yuan } from "./publicFormat";
import { type CatalogueTextId, hasCatalogueText, useCatalogueText } from "./text";

const CATEGORY_ORDER = ["enterprise", "external", "internal"];
const MODES = ["self_operated", "staff_operated"] as const;

/** Where the Book button leads a signed-in user: the booking form, with the slot when one was picked. */
export function bookingPath(instrumentId: string, slot?: { start: string; end: string }): string {
  const params = new URLSearchParams({ instrument: instrumentId });
  if (slot) {
    params.set("start", slot.start);
    params.set("end", slot.end);
  }
  return `/bookings?${params.toString()}`;
}

function LiveBadge({ state }: { state: string | null | undefined }) {
  const { t } = useI18n();
  const text = useCatalogueText();
  if (!state) return <Tag data-testid="public-live">{text("public.live.none")}</Tag>;
  return (
    <Tag color={stateColour(state)} data-testid="public-live" data-state={state}>
      {t(stateMessageId(state))}
    </Tag>
  );
}

function Fees({ instrument }: { instrument: PublicInstrument }) {
  const text = useCatalogueText();
  const categories = Object.keys(instrument.hourly_fees).sort(
    (a, b) => CATEGORY_ORDER.indexOf(a) - CATEGORY_ORDER.indexOf(b),
  );
  const label = (prefix: "public.category." | "public.mode.", value: string) => {
    const id = `${prefix}${value}`;
    return hasCatalogueText(id) ? text(id) : value;
  };
  return (
    <Card title={text("public.fees")} data-testid="public-fees">
      {categories.length === 0 ? (
        <Empty description={text("public.fees.none")} />
      ) : (
        <>
          <Table
            size="small"
            pagination={false}
            rowKey="category"
            dataSource={categories.map((category) => ({
              category,
              fees: instrument.hourly_fees[category] ?? {},
            }))}
            columns={[
              {
                title: text("public.fees.category"),
                dataIndex: "category",
                render: (category: string) => label("public.category.", category),
              },
              ...MODES.filter((mode) => instrument.record.service_modes.includes(mode)).map((mode) => ({
                title: label("public.mode.", mode),
                key: mode,
                align: "right" as const,
                render: (_: unknown, row: { category: string; fees: Record<string, string> }) => {
                  const amount = row.fees[mode];
                  return amount ? (
                    <span data-testid={`fee-${row.category}-${mode}`}>
                      {text("public.fees.perHour", { amount: yuan(amount) })}
                    </span>
                  ) : (
                    "—"
                  );
                },
              })),
            ]}
          />
          {instrument.fees_published_at && (
            <p className="muted">
              {text("public.fees.published", {
                date: formatBeijing(instrument.fees_published_at).slice(0, 10),
              })}
            </p>
          )}
        </>
      )}
    </Card>
  );
}

function Hours({ instrument }: { instrument: PublicInstrument }) {
  const text = useCatalogueText();
  const byDay = new Map<number, string[]>();
  for (const period of instrument.opening_hours) {
    const list = byDay.get(period.weekday) ?? [];
    list.push(`${clock(period.opens)}–${clock(period.closes, true)}`);
    byDay.set(period.weekday, list);
  }
  return (
    <Card title={`${text("public.hours")}（${text("public.hours.zone")}）`} data-testid="public-hours">
      {byDay.size === 0 ? (
        <Empty description={text("public.hours.none")} />
      ) : (
        <Descriptions size="small" column={1}>
          {[...byDay.entries()].map(([day, spans]) => (
            <Descriptions.Item key={day} label={text(`weekday.${day}` as CatalogueTextId)}>
              {spans.join("，")}
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
    </Card>
  );
}

function VisitorBook({ instrument }: { instrument: PublicInstrument }) {
  const text = useCatalogueText();
  const location = useLocation();
  const next = `${location.pathname}${location.search}`;
  return (
    <Space orientation="vertical" size="small" className="public-book">
      <Space wrap>
        {/* After logging in, the booking form opens on this instrument. */}
        <Link to={loginPath({ pathname: "/bookings", search: `?instrument=${instrument.id}` })}>
          <Button type="primary" data-testid="public-book">
            {text("public.bookLogin")}
          </Button>
        </Link>
        <Link to={`/register?next=${encodeURIComponent(next)}`}>
          <Button data-testid="public-register">{text("public.register")}</Button>
        </Link>
      </Space>
      <span className="muted public-hint">{text("public.visitorHint")}</span>
    </Space>
  );
}

function MemberBook({ instrument }: { instrument: PublicInstrument }) {
  const text = useCatalogueText();
  const me = useCurrentUser();
  const enterprise = me.data && (me.data.role === "enterprise_admin" || me.data.role === "enterprise_member");
  return (
    <Space orientation="vertical" size="small" className="public-book">
      <Link to={bookingPath(instrument.id)}>
        <Button type="primary" data-testid="public-book">
          {text("public.book")}
        </Button>
      </Link>
      {me.data && !enterprise && <span className="muted public-hint">{text("public.staffHint")}</span>}
    </Space>
  );
}

function BookActions({ instrument }: { instrument: PublicInstrument }) {
  // A visitor's page never asks who is signed in (no /auth/me without a token).
  return useSignedIn() ? <MemberBook instrument={instrument} /> : <VisitorBook instrument={instrument} />;
}

function Slots({ instrument }: { instrument: PublicInstrument }) {
  const text = useCatalogueText();
  const { locale } = useI18n();
  const signedIn = useSignedIn();
  return (
    <Card title={text("public.slots")} data-testid="public-slots">
      {instrument.free_slots.length === 0 ? (
        <Empty description={text("public.slots.none")} />
      ) : (
        <ul className="public-slots">
          {instrument.free_slots.map((slot) => (
            <li key={slot.start}>
              <span>{slotLabel(slot.start, slot.end, locale, instrument.timezone)}</span>
              {signedIn && (
                <Link to={bookingPath(instrument.id, slot)} className="public-slot-book">
                  {text("public.slots.pick")}
                </Link>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function Record({ instrument }: { instrument: PublicInstrument }) {
  const text = useCatalogueText();
  const record = instrument.record;
  const rows: [CatalogueTextId, string | null | undefined][] = [
    ["public.model", record.model],
    ["public.manufacturer", record.manufacturer],
    ["public.category", record.category],
    ["public.specification", record.specification],
    ["public.origin", record.country_of_origin],
    ["public.manufactured", record.manufacture_date],
    ["public.location", record.location],
    [
      "public.modes",
      record.service_modes
        .map((m) => (hasCatalogueText(`public.mode.${m}`) ? text(`public.mode.${m}` as CatalogueTextId) : m))
        .join("、"),
    ],
    ["public.specs", record.technical_specifications],
    ["public.functions", record.main_functions],
    ["public.accessories", record.accessories],
    ["public.feeRule", record.fee_rule],
  ];
  return (
    <Card title={text("public.record")} data-testid="public-record">
      <Descriptions size="small" column={{ xs: 1, md: 2 }}>
        {rows
          .filter(([, value]) => value)
          .map(([id, value]) => (
            <Descriptions.Item key={id} label={text(id)}>
              <span className="prewrap">{value}</span>
            </Descriptions.Item>
          ))}
      </Descriptions>
    </Card>
  );
}

function Scope({ instrument }: { instrument: PublicInstrument }) {
  const text = useCatalogueText();
  const { pickName } = useI18n();
  return (
    <Card title={text("public.scope")} data-testid="public-scope">
      {instrument.scope.length === 0 ? (
        <Empty description={text("public.scope.none")} />
      ) : (
        <Table
          size="small"
          pagination={false}
          rowKey="id"
          scroll={{ x: true }}
          dataSource={instrument.scope}
          columns={[
            {
              title: text("public.scope.category"),
              dataIndex: "category",
              render: (category: string) =>
                hasCatalogueText(`public.scope.kind.${category}`)
                  ? text(`public.scope.kind.${category}` as CatalogueTextId)
                  : category,
            },
            {
              title: text("public.scope.item"),
              key: "name",
              render: (_: unknown, item: PublicInstrument["scope"][number]) =>
                pickName(item.name, item.name_en),
            },
            {
              title: text("public.scope.standard"),
              key: "standard",
              render: (_: unknown, item: PublicInstrument["scope"][number]) =>
                [item.standard_number, item.standard_name].filter(Boolean).join(" "),
            },
          ]}
        />
      )}
    </Card>
  );
}

/** An open instrument's page for everyone, visitors included: what it is, what it costs, when it is free. */
export function PublicInstrumentPage({ instrumentId }: { instrumentId: string }) {
  const text = useCatalogueText();
  const { pickName, locale } = useI18n();
  const query = usePublicInstrument(instrumentId);
  if (query.isPending) return <Loading />;
  if (query.error) {
    if (query.error instanceof ApiError && query.error.status === 404) {
      return (
        <Result
          status="404"
          title={text("public.notFound")}
          extra={<Link to="/catalogue">{text("public.back")}</Link>}
        />
      );
    }
    return <ErrorNotice error={query.error} />;
  }
  const instrument = query.data;
  const other = locale === "en" ? instrument.name : instrument.name_en;
  return (
    <section className="page public-instrument" data-testid="public-instrument">
      <Link to="/catalogue" className="muted">
        ← {text("public.back")}
      </Link>
      <div className="public-head">
        <div>
          <Typography.Title level={1} className="page-title">
            {pickName(instrument.name, instrument.name_en)}
          </Typography.Title>
          {other && other !== pickName(instrument.name, instrument.name_en) && (
            <div className="muted">{other}</div>
          )}
          <div className="public-badges">
            <CalibrationStatusLabel
              state={instrument.calibration_state}
              validTo={instrument.calibration_valid_to}
            />
            <LiveBadge state={instrument.live_state} />
          </div>
          <div className="muted" data-testid="public-institution">
            {pickName(instrument.institution_name, instrument.institution_name_en)} · {instrument.lab_name}
            {instrument.city && ` · ${instrument.city}`}
          </div>
        </div>
        <BookActions instrument={instrument} />
      </div>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={14}>
          <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
            <Fees instrument={instrument} />
            <Record instrument={instrument} />
            <Scope instrument={instrument} />
          </Space>
        </Col>
        <Col xs={24} lg={10}>
          <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
            <Slots instrument={instrument} />
            <Hours instrument={instrument} />
          </Space>
        </Col>
      </Row>
    </section>
  );
}
