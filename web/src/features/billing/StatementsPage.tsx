import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, DatePicker, Descriptions, Select, Space, Table, Tag } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { useCurrentUser } from "../auth";
import { chargeKindText, downloadWithToken } from "../booking";
import { useText } from "./text";

export interface StatementLine {
  service_date: string;
  instrument: string;
  customer: string;
  booking_id: string;
  kind: string;
  minutes: number;
  amount: string;
  voucher_amount: string;
  enterprise_amount: string;
}

export interface Statement {
  side: "enterprise" | "institution";
  month: string;
  lines: StatementLine[];
  total: string;
  voucher_total: string;
}

export interface StatementParty {
  id: string;
  name: string;
  kind: "enterprise" | "institution";
  city: string | null;
  latest_month: string | null;
}

function currentMonth(): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
  }).format(new Date());
  return parts.slice(0, 7);
}

/**
 * Monthly statement of an organisation, with CSV and Excel downloads. Members see their own
 * organisation's; the platform admin first picks an enterprise or institution. Either way the
 * page opens on the organisation's latest month with charges.
 */
export function StatementsPage() {
  const api = useApi();
  const t = useText();
  const me = useCurrentUser();
  const admin = me.data?.role === "platform_admin";
  const parties = useQuery({
    queryKey: ["billing", "statement-organisations"],
    queryFn: async () => (await api.http.GET("/api/v1/statements/organisations")).data as StatementParty[],
    enabled: me.data !== undefined,
  });
  const [picked, setPicked] = useState<string | null>(null);
  const [months, setMonths] = useState<Record<string, string>>({});

  if (me.isPending || parties.isPending) return <Loading />;
  if (me.isError) return <ErrorNotice error={me.error} />;
  if (parties.isError) return <ErrorNotice error={parties.error} />;
  const list = parties.data;
  const party = admin ? list.find((p) => p.id === picked) : list[0];
  const month = party ? (months[party.id] ?? party.latest_month ?? currentMonth()) : null;

  return (
    <section className="card" aria-label={t("statements.title")} data-testid="statements">
      <div className="card-head">
        <h2>{t("statements.title")}</h2>
      </div>
      <Space wrap size="middle" style={{ marginBottom: 16 }}>
        {admin && (
          <Select
            showSearch
            allowClear
            aria-label={t("statements.organisation")}
            data-testid="statement-organisation"
            style={{ minWidth: 300, maxWidth: "100%" }}
            placeholder={t("statements.pick")}
            value={picked ?? undefined}
            onChange={(value?: string) => setPicked(value ?? null)}
            optionFilterProp="label"
            options={(["enterprise", "institution"] as const).map((kind) => ({
              label: t(`statements.kind.${kind}`),
              title: t(`statements.kind.${kind}`),
              options: list
                .filter((p) => p.kind === kind)
                .map((p) => ({
                  value: p.id,
                  label: p.latest_month ? p.name : `${p.name} ${t("statements.noCharges")}`,
                })),
            }))}
          />
        )}
        {party && month && (
          <>
            <label>
              {t("statements.month")}{" "}
              <DatePicker
                picker="month"
                allowClear={false}
                aria-label={t("statements.month")}
                data-testid="statement-month"
                value={dayjs(`${month}-01`)}
                onChange={(value) => value && setMonths({ ...months, [party.id]: value.format("YYYY-MM") })}
              />
            </label>
            <Button
              onClick={() =>
                void downloadWithToken(
                  api,
                  statementPath(party, month, admin, "csv"),
                  `labshare-statement-${month}.csv`,
                )
              }
            >
              {t("statements.csv")}
            </Button>
            <Button
              onClick={() =>
                void downloadWithToken(
                  api,
                  statementPath(party, month, admin, "xlsx"),
                  `labshare-statement-${month}.xlsx`,
                )
              }
            >
              {t("statements.xlsx")}
            </Button>
          </>
        )}
      </Space>
      {admin && !party && <Alert type="info" showIcon title={t("statements.pickHint")} />}
      {party && month && <StatementView party={party} month={month} admin={admin} />}
    </section>
  );
}

function statementPath(party: StatementParty, month: string, admin: boolean, format?: "csv" | "xlsx") {
  const query = new URLSearchParams({ month });
  if (admin) query.set("organisation_id", party.id);
  if (format) query.set("format", format);
  return `/statements?${query.toString()}`;
}

function StatementView({ party, month, admin }: { party: StatementParty; month: string; admin: boolean }) {
  const api = useApi();
  const t = useText();
  const { locale } = useI18n();
  const statement = useQuery({
    queryKey: ["billing", "statement", party.id, month],
    queryFn: () => api.call<Statement>(statementPath(party, month, admin)),
  });
  if (statement.isPending) return <Loading />;
  if (statement.isError) return <ErrorNotice error={statement.error} />;
  const data = statement.data;
  return (
    <Card size="small">
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2, md: 4 }}
        items={[
          {
            key: "org",
            label: t("statements.organisation"),
            children: (
              <span>
                {party.name} <Tag>{t(`statements.kind.${party.kind}`)}</Tag>
              </span>
            ),
          },
          {
            key: "side",
            label: t("statements.month"),
            children: `${month} · ${t(`statements.side.${data.side}`)}`,
          },
          {
            key: "total",
            label: t("statements.total"),
            children: <strong data-testid="statement-total">¥{data.total}</strong>,
          },
          { key: "voucher", label: t("statements.voucherTotal"), children: `¥${data.voucher_total}` },
        ]}
      />
      <Table<StatementLine>
        data-testid="statement-lines"
        size="small"
        rowKey={(line) => `${line.booking_id}-${line.kind}`}
        dataSource={data.lines}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 720 }}
        locale={{ emptyText: t("statements.empty") }}
        columns={[
          { title: t("statements.date"), dataIndex: "service_date" },
          { title: t("statements.instrument"), dataIndex: "instrument" },
          { title: t("statements.customer"), dataIndex: "customer" },
          {
            title: t("statements.kind"),
            dataIndex: "kind",
            render: (kind: string) => chargeKindText(locale, kind),
          },
          { title: t("statements.minutes"), dataIndex: "minutes", align: "right" },
          {
            title: t("statements.amount"),
            dataIndex: "amount",
            align: "right",
            render: (v: string) => `¥${v}`,
          },
          {
            title: t("statements.voucher"),
            dataIndex: "voucher_amount",
            align: "right",
            render: (v: string) => `¥${v}`,
          },
        ]}
      />
    </Card>
  );
}
