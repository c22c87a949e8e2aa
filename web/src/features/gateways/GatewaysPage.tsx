import { App, Button, Form, Input, Modal, Space, Table, Tag, Typography } from "antd";
import { type HTMLAttributes, useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type ListColumn, sortBy, useListTools } from "../../components/ListTools";
import { useI18n } from "../../i18n";
import { useCurrentUser } from "../auth";
import { type GatewayCreated, type GatewayHealth, useGatewayHealth, useRegisterGateway } from "./api";
import { GatewayDrawer } from "./GatewayDrawer";
import { ageText, condition, type GatewayCondition, formatLag, healthProblems, heartbeatAge } from "./health";
import { SecretModal } from "./SecretModal";
import { useGatewayText } from "./text";

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const CONDITION_COLOUR: Record<GatewayCondition, string> = {
  online: "green",
  offline: "red",
  unknown: "default",
  retired: "default",
};

/**
 * The institution's gateways for its lab managers: health at a glance (heartbeat age, lag,
 * spool depth, problems in words), registration with the secret shown once, and per gateway
 * its channels, pushed documents, secret rotation and retirement.
 */
export function GatewaysPage() {
  const t = useGatewayText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const me = useCurrentUser();
  const health = useGatewayHealth();
  const register = useRegisterGateway();
  const [registering, setRegistering] = useState(false);
  const [issued, setIssued] = useState<{ gateway: GatewayCreated; rotated: boolean } | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [form] = Form.useForm<{ key: string; name: string }>();

  const role = me.data?.role;
  const canManage = role === "lab_manager" || role === "platform_admin";
  const canRegister = role === "lab_manager";
  const open = health.data?.find((h) => h.gateway.id === openId) ?? null;
  const listed: ListColumn<GatewayHealth>[] = [
    { title: t("col.gateway"), value: (h) => `${h.gateway.key} ${h.gateway.name}` },
    { title: t("col.status"), value: (h) => t(`status.${condition(h)}`) },
    {
      title: t("col.heartbeat"),
      value: (h) => {
        const age = ageText(heartbeatAge(h));
        return t(age.id, age.vars);
      },
    },
    { title: t("col.lag"), value: (h) => formatLag(h.lag_s) },
    { title: t("col.spool"), value: (h) => h.heartbeat?.spool_depth },
    {
      title: t("col.problems"),
      value: (h) =>
        h.gateway.retired_at
          ? ""
          : healthProblems(h)
              .map((p) => t(p.id, p.vars))
              .join("; "),
    },
  ];
  const { shown, toolbar } = useListTools(health.data, listed, "labshare-gateways.csv");

  if (health.isPending) return <Loading />;
  if (health.isError) return <ErrorNotice error={health.error} />;

  return (
    <section className="page">
      <Space align="start" style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <div>
          <Typography.Title level={1} className="page-title">
            {t("title")}
          </Typography.Title>
          <Typography.Paragraph className="muted">{t("subtitle")}</Typography.Paragraph>
        </div>
        {canRegister && (
          <Button type="primary" onClick={() => setRegistering(true)} data-testid="gateway-register">
            {t("register")}
          </Button>
        )}
      </Space>
      {health.data.length > 0 && <div className="list-tools-row">{toolbar}</div>}
      <Table<GatewayHealth>
        data-testid="gateways"
        rowKey={(h) => h.gateway.id}
        size="middle"
        scroll={{ x: true }}
        dataSource={shown}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: t("empty") }}
        onRow={() => ({ "data-testid": "gateway-row" }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("col.gateway"),
            key: "gateway",
            sorter: sortBy((h) => h.gateway.key),
            render: (_, h) => (
              <div>
                <strong style={{ whiteSpace: "nowrap" }}>{h.gateway.key}</strong>
                <div className="muted">{h.gateway.name}</div>
              </div>
            ),
          },
          {
            title: t("col.status"),
            key: "status",
            sorter: sortBy((h) => t(`status.${condition(h)}`)),
            render: (_, h) => {
              const state = condition(h);
              return (
                <Tag color={CONDITION_COLOUR[state]} data-testid="gateway-status">
                  {t(`status.${state}`)}
                </Tag>
              );
            },
          },
          {
            title: t("col.heartbeat"),
            key: "heartbeat",
            responsive: ["md"],
            render: (_, h) => {
              const age = ageText(heartbeatAge(h));
              return t(age.id, age.vars);
            },
          },
          { title: t("col.lag"), key: "lag", responsive: ["md"], render: (_, h) => formatLag(h.lag_s) },
          {
            title: t("col.spool"),
            key: "spool",
            responsive: ["md"],
            sorter: sortBy((h) => h.heartbeat?.spool_depth ?? -1),
            render: (_, h) => h.heartbeat?.spool_depth ?? "—",
          },
          {
            title: t("col.problems"),
            key: "problems",
            render: (_, h) => {
              if (h.gateway.retired_at) return "—";
              const problems = healthProblems(h);
              if (problems.length === 0) return <Tag color="green">{t("problem.none")}</Tag>;
              return (
                <div data-testid="gateway-problems">
                  {problems.map((p) => (
                    <div key={p.id + JSON.stringify(p.vars)} style={{ color: "#ad4e00" }}>
                      {t(p.id, p.vars)}
                    </div>
                  ))}
                </div>
              );
            },
          },
          {
            title: t("col.actions"),
            key: "actions",
            render: (_, h) => (
              <Button size="small" onClick={() => setOpenId(h.gateway.id)} data-testid="gateway-manage">
                {t("manage")}
              </Button>
            ),
          },
        ]}
      />
      <Modal
        open={registering}
        title={t("register")}
        okText={t("register.submit")}
        okButtonProps={{ loading: register.isPending, id: "gateway-register-submit" }}
        onCancel={() => {
          setRegistering(false);
          register.reset();
        }}
        destroyOnHidden
        onOk={() =>
          void form.validateFields().then((values) =>
            register.mutate(
              { key: values.key.trim(), name: values.name.trim() },
              {
                onSuccess: (created) => {
                  setRegistering(false);
                  form.resetFields();
                  setIssued({ gateway: created, rotated: false });
                },
              },
            ),
          )
        }
      >
        <Form form={form} layout="vertical" preserve={false} key={locale}>
          <Form.Item
            name="key"
            label={t("register.key")}
            extra={t("register.key.help")}
            rules={[
              { required: true, whitespace: true, message: t("register.key.required") },
              { pattern: KEY_PATTERN, message: t("register.key.pattern") },
            ]}
          >
            <Input id="gateway-key" autoComplete="off" maxLength={64} />
          </Form.Item>
          <Form.Item
            name="name"
            label={t("register.name")}
            rules={[{ required: true, whitespace: true, message: t("register.name.required") }]}
          >
            <Input id="gateway-name" maxLength={200} placeholder={t("register.name.placeholder")} />
          </Form.Item>
        </Form>
        {register.error && <ErrorNotice error={register.error} />}
      </Modal>
      <SecretModal
        issued={issued?.gateway ?? null}
        rotated={issued?.rotated ?? false}
        onClose={() => {
          setIssued(null);
          void message.destroy();
        }}
      />
      <GatewayDrawer
        health={open}
        canManage={canManage}
        onClose={() => setOpenId(null)}
        onIssued={(gateway) => setIssued({ gateway, rotated: true })}
      />
    </section>
  );
}
