import { Button, Card, Space, Table, Tag, Typography } from "antd";
import type { HTMLAttributes } from "react";
import { useApi } from "../../api";
import { useI18n } from "../../i18n";
import { formatLocalMinute } from "../../i18n/problems";
import { saveBlob } from "../../lib/saveBlob";
import type { ImpactBooking, ImpactReport } from "./api";
import { useText, type TextId } from "./text";

type Export = ImpactReport["exports"][number];

function BookingTable({ rows, testId, title }: { rows: ImpactBooking[]; testId: string; title: string }) {
  const t = useText();
  return (
    <>
      <Typography.Title level={4}>
        {title} · {rows.length}
      </Typography.Title>
      <Table<ImpactBooking>
        data-testid={testId}
        rowKey="booking_id"
        size="small"
        dataSource={rows}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: t("manage.none") }}
        onRow={() => ({ "data-testid": "impact-booking" }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("impact.when"),
            key: "when",
            render: (_, b) => (
              <span className="nowrap">
                {formatLocalMinute(b.start_at)}–{formatLocalMinute(b.end_at).slice(11)}
              </span>
            ),
          },
          { title: t("impact.organisation"), key: "org", render: (_, b) => b.organisation_name ?? "—" },
          {
            title: t("impact.user"),
            key: "user",
            render: (_, b) => (
              <>
                <div>{b.user_name ?? "—"}</div>
                {b.user_email && <div className="muted">{b.user_email}</div>}
              </>
            ),
          },
          {
            title: t("impact.status"),
            key: "status",
            render: (_, b) => <Tag>{t(`impact.status.${b.status}` as TextId)}</Tag>,
          },
        ]}
      />
    </>
  );
}

/**
 * One out-of-tolerance impact report (ISO/IEC 17025 §7.10): the suspect period's bookings, the
 * bookings from the finding on, the affected data exports, who was told, and CSV/Excel files.
 */
export function ImpactReportView({ report }: { report: ImpactReport }) {
  const t = useText();
  const api = useApi();
  const { pickName } = useI18n();
  // The export needs the bearer token, which a plain link would not send.
  const download = async (format: "csv" | "xlsx") => {
    const { blob } = await api.download(`/impact-reports/${report.id}/export?format=${format}`);
    saveBlob(blob, `impact-report-${report.id}.${format}`);
  };
  const causeId = `impact.cause.${report.cause_kind}`;
  const cause = causeId === "impact.cause.check_failed" || causeId === "impact.cause.calibration_failed";
  return (
    <Card
      data-testid="impact-report"
      title={t("impact.title", {
        cause: cause ? t(causeId as TextId) : report.cause_kind,
        found: formatLocalMinute(report.found_at),
      })}
      extra={
        <Space wrap>
          <Button size="small" onClick={() => void download("csv")}>
            {t("impact.csv")}
          </Button>
          <Button size="small" onClick={() => void download("xlsx")}>
            {t("impact.xlsx")}
          </Button>
        </Space>
      }
    >
      <p>
        {t("manage.since")}: {report.since ? formatLocalMinute(report.since) : "—"} →{" "}
        {formatLocalMinute(report.found_at)}
      </p>
      <BookingTable rows={report.bookings} testId="impact-suspect" title={t("impact.suspect")} />
      <BookingTable
        rows={report.upcoming_bookings ?? []}
        testId="impact-upcoming"
        title={t("impact.upcoming")}
      />
      <Typography.Title level={4}>
        {t("manage.exports")} · {report.exports.length}
      </Typography.Title>
      <Table<Export>
        data-testid="impact-exports"
        rowKey="export_id"
        size="small"
        dataSource={report.exports}
        pagination={false}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: t("manage.none") }}
        columns={[
          {
            title: t("impact.range"),
            key: "range",
            render: (_, e) => (
              <span className="nowrap">
                {formatLocalMinute(e.range_start)}–{formatLocalMinute(e.range_end)}
              </span>
            ),
          },
          { title: t("impact.organisation"), key: "org", render: (_, e) => e.organisation_name ?? "—" },
          { title: t("impact.user"), key: "user", render: (_, e) => e.user_name ?? "—" },
          { title: t("impact.format"), key: "format", render: (_, e) => e.format.toUpperCase() },
        ]}
      />
      <Typography.Title level={4}>
        {t("impact.notifiedTitle")} · {report.notified_user_ids.length}
      </Typography.Title>
      {(report.notified ?? []).length === 0 ? (
        <p className="muted">{t("impact.nobody")}</p>
      ) : (
        <ul data-testid="impact-notified">
          {(report.notified ?? []).map((p) => (
            <li key={p.user_id}>
              {p.full_name} · {pickName(p.organisation_name, p.organisation_name_en)} · {p.email}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
