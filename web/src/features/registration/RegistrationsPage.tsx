import { App, Button, Form, Input, Modal, Result, Segmented, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type ListColumn, sortBy, useListTools } from "../../components/ListTools";
import { useI18n } from "../../i18n";
import { useCurrentUser } from "../auth";
import { formatBeijing } from "../calibration";
import { type Registration, type RegistrationStatus, useDecide, useRegistrations } from "./api";
import { useRegistrationText } from "./text";

const STATUS_COLOUR: Record<RegistrationStatus, string> = {
  pending: "gold",
  approved: "green",
  rejected: "red",
};

/** The platform admin's list of enterprise registrations, approved or rejected with a reason. */
export function RegistrationsPage() {
  const t = useRegistrationText();
  const me = useCurrentUser();
  if (me.isPending) return <Loading />;
  if (me.data?.role !== "platform_admin") return <Result status="403" title={t("review.forbidden")} />;
  return <Review />;
}

function Review() {
  const t = useRegistrationText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const [status, setStatus] = useState<RegistrationStatus | "">("pending");
  const list = useRegistrations(status);
  const decide = useDecide();
  const [rejecting, setRejecting] = useState<Registration | null>(null);
  const [form] = Form.useForm<{ reason: string }>();
  const filters: (RegistrationStatus | "")[] = ["pending", "approved", "rejected", ""];
  const listed: ListColumn<Registration>[] = [
    { title: t("review.company"), value: (r) => r.company_name },
    { title: t("review.creditCode"), value: (r) => r.credit_code },
    {
      title: t("review.contact"),
      value: (r) => [r.contact_name, r.email, r.phone].filter(Boolean).join(" "),
    },
    { title: t("review.submitted"), value: (r) => formatBeijing(r.created_at).slice(0, 16) },
    {
      title: t("review.state"),
      value: (r) => [t(`review.status.${r.status}`), r.reason].filter(Boolean).join(" "),
    },
  ];
  const { shown, toolbar } = useListTools(list.data, listed, "labshare-registrations.csv");

  return (
    <section className="page">
      <Typography.Title level={1} className="page-title">
        {t("review.title")}
      </Typography.Title>
      <Segmented<RegistrationStatus | "">
        aria-label={t("review.filter")}
        value={status}
        onChange={setStatus}
        options={filters.map((value) => ({
          value,
          label: value ? t(`review.status.${value}`) : t("review.all"),
        }))}
      />
      {!!list.data?.length && (
        <div className="list-tools-row" style={{ marginTop: 12 }}>
          {toolbar}
        </div>
      )}
      {decide.error && <ErrorNotice error={decide.error} />}
      {list.isPending && <Loading />}
      {list.error && <ErrorNotice error={list.error} />}
      {list.data && (
        <Table<Registration>
          className="registrations-table"
          data-testid="registrations"
          rowKey="id"
          size="middle"
          scroll={{ x: true }}
          locale={{ emptyText: t("review.empty") }}
          dataSource={shown}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          columns={[
            {
              title: t("review.company"),
              key: "company",
              sorter: sortBy((r) => r.company_name),
              render: (_, r) => (
                <div>
                  <strong>{r.company_name}</strong>
                  {r.city && <div className="muted">{r.city}</div>}
                </div>
              ),
            },
            {
              title: t("review.creditCode"),
              dataIndex: "credit_code",
              render: (code: string) => <code>{code}</code>,
            },
            {
              title: t("review.contact"),
              key: "contact",
              render: (_, r) => (
                <div>
                  {r.contact_name}
                  <div className="muted">{[r.email, r.phone].filter(Boolean).join(" · ")}</div>
                </div>
              ),
            },
            {
              title: t("review.submitted"),
              dataIndex: "created_at",
              sorter: sortBy((r) => r.created_at),
              defaultSortOrder: "descend",
              render: (at: string) => formatBeijing(at).slice(0, 16),
            },
            {
              title: t("review.state"),
              key: "status",
              render: (_, r) => (
                <Space orientation="vertical" size={0}>
                  <Tag color={STATUS_COLOUR[r.status]} data-testid="registration-status">
                    {t(`review.status.${r.status}`)}
                  </Tag>
                  {r.reason && <span className="muted">{r.reason}</span>}
                </Space>
              ),
            },
            {
              title: t("review.actions"),
              key: "actions",
              render: (_, r) =>
                r.status === "pending" ? (
                  <Space wrap>
                    <Button
                      type="primary"
                      size="small"
                      data-testid="registration-approve"
                      loading={decide.isPending && decide.variables?.id === r.id}
                      onClick={() =>
                        decide.mutate(
                          { id: r.id, approve: true },
                          {
                            onSuccess: () =>
                              void message.success(t("review.approved", { company: r.company_name })),
                          },
                        )
                      }
                    >
                      {t("review.approve")}
                    </Button>
                    <Button
                      danger
                      size="small"
                      data-testid="registration-reject"
                      onClick={() => setRejecting(r)}
                    >
                      {t("review.reject")}
                    </Button>
                  </Space>
                ) : null,
            },
          ]}
        />
      )}
      <Modal
        open={rejecting !== null}
        title={`${t("review.reject")}：${rejecting?.company_name ?? ""}`}
        okText={t("review.reject")}
        okButtonProps={{ danger: true, loading: decide.isPending }}
        onCancel={() => setRejecting(null)}
        destroyOnHidden
        onOk={() =>
          void form.validateFields().then(({ reason }) => {
            const target = rejecting;
            if (!target) return;
            decide.mutate(
              { id: target.id, approve: false, reason: reason.trim() },
              {
                onSuccess: () => {
                  setRejecting(null);
                  form.resetFields();
                  void message.success(t("review.rejected", { company: target.company_name }));
                },
              },
            );
          })
        }
      >
        <Form form={form} layout="vertical" preserve={false} key={locale}>
          <Form.Item
            name="reason"
            label={t("review.reason")}
            rules={[{ required: true, whitespace: true, message: t("review.reason.required") }]}
          >
            <Input.TextArea id="registration-reason" rows={3} maxLength={1000} />
          </Form.Item>
        </Form>
      </Modal>
    </section>
  );
}
