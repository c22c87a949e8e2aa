import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { formatShanghaiTime, formatUnit } from "../../lib/format";
import {
  type GatewayChannel,
  type GatewayCreated,
  type GatewayHealth,
  useAddChannel,
  useAgentConfigText,
  useCalibrationSet,
  useChannels,
  useConfig,
  useDeleteChannel,
  useInstitutionInstruments,
  usePushCalibration,
  usePushConfig,
  useRetireGateway,
  useRotateSecret,
  useUpdateChannel,
} from "./api";
import { ageText, condition, formatLag, healthProblems, heartbeatAge } from "./health";
import { useGatewayText } from "./text";

const KEY_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One gateway: its health, channel mapping, pushed documents, secret and retirement. */
export function GatewayDrawer({
  health,
  canManage,
  onClose,
  onIssued,
}: {
  health: GatewayHealth | null;
  canManage: boolean;
  onClose: () => void;
  onIssued: (issued: GatewayCreated) => void;
}) {
  const t = useGatewayText();
  const gateway = health?.gateway;
  return (
    <Drawer
      open={health !== null}
      onClose={onClose}
      title={gateway ? t("drawer.title", { key: gateway.key }) : ""}
      size="min(760px, 100vw)"
      destroyOnHidden
      data-testid="gateway-drawer"
    >
      {health && (
        <Tabs
          items={[
            { key: "overview", label: t("tab.overview"), children: <Overview health={health} /> },
            {
              key: "channels",
              label: t("tab.channels"),
              children: <Channels health={health} canManage={canManage} />,
            },
            ...(canManage && !health.gateway.retired_at
              ? [
                  { key: "config", label: t("tab.config"), children: <Documents health={health} /> },
                  {
                    key: "security",
                    label: t("tab.security"),
                    children: <Security health={health} onIssued={onIssued} onRetired={onClose} />,
                  },
                ]
              : []),
          ]}
        />
      )}
    </Drawer>
  );
}

function Overview({ health }: { health: GatewayHealth }) {
  const t = useGatewayText();
  const age = ageText(heartbeatAge(health));
  const problems = healthProblems(health);
  const devices = (health.heartbeat?.devices ?? []) as {
    device?: string;
    status?: string;
    error?: string | null;
  }[];
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      {health.gateway.retired_at && (
        <Alert type="info" title={t("retired.note", { at: formatShanghaiTime(health.gateway.retired_at) })} />
      )}
      <Descriptions column={1} size="small" bordered>
        <Descriptions.Item label={t("col.heartbeat")}>{t(age.id, age.vars)}</Descriptions.Item>
        <Descriptions.Item label={t("col.lag")}>{formatLag(health.lag_s)}</Descriptions.Item>
        <Descriptions.Item label={t("col.spool")}>{health.heartbeat?.spool_depth ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("overview.lastSeq")}>
          {health.heartbeat?.last_seq ?? "—"}
        </Descriptions.Item>
        <Descriptions.Item label={t("col.problems")}>
          {problems.length === 0 ? (
            <Tag color="green">{t("problem.none")}</Tag>
          ) : (
            problems.map((p) => (
              <div key={p.id + JSON.stringify(p.vars)}>
                {t(p.id, p.vars)}
                {p.detail && <span className="muted">（{p.detail}）</span>}
              </div>
            ))
          )}
        </Descriptions.Item>
      </Descriptions>
      {devices.length > 0 && (
        <div>
          <strong>{t("overview.devices")}</strong>
          <ul className="gateway-devices" aria-label={t("overview.devices")}>
            {devices.map((d) => (
              <li key={d.device}>
                <span>{d.device}</span>
                <Tag color={d.status === "ok" ? "green" : d.status === "failing" ? "red" : "default"}>
                  {d.status === "failing"
                    ? t("overview.device.failing")
                    : d.status === "disabled"
                      ? t("overview.device.disabled")
                      : t("overview.device.ok")}
                </Tag>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div>
        <strong>{t("overview.gaps")}</strong>
        {health.gaps.length === 0 ? (
          <div className="muted">{t("overview.noGaps")}</div>
        ) : (
          health.gaps.slice(0, 10).map((g) => (
            <div key={`${g.first_missing}-${g.detected_at}`}>
              {t("overview.gap", {
                first: g.first_missing,
                last: g.last_missing,
                at: formatShanghaiTime(g.detected_at),
              })}
            </div>
          ))
        )}
      </div>
    </Space>
  );
}

/** The instrument a channel feeds, picked by name in the reader's language. */
function InstrumentField({ organisationId }: { organisationId: string }) {
  const t = useGatewayText();
  const { pickName } = useI18n();
  const instruments = useInstitutionInstruments(organisationId);
  return (
    <Form.Item
      name="instrument_id"
      label={t("channels.instrument")}
      rules={[{ required: true, message: t("channels.pickInstrument") }]}
    >
      <Select
        showSearch
        optionFilterProp="label"
        placeholder={t("channels.pickInstrument")}
        loading={instruments.isPending}
        options={(instruments.data ?? []).map((i) => ({ value: i.id, label: pickName(i.name, i.name_en) }))}
      />
    </Form.Item>
  );
}

interface ChannelForm {
  instrument_id: string;
  device_key: string;
  point_key: string;
  name: string;
  name_en?: string;
  canonical_unit: string;
}

function Channels({ health, canManage }: { health: GatewayHealth; canManage: boolean }) {
  const t = useGatewayText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const gateway = health.gateway;
  const channels = useChannels(gateway.id);
  const add = useAddChannel(gateway.id);
  const remove = useDeleteChannel(gateway.id);
  const [editing, setEditing] = useState<GatewayChannel | null>(null);
  const [form] = Form.useForm<ChannelForm>();
  const manageable = canManage && !gateway.retired_at;
  const required = (field: string) => ({
    required: true,
    whitespace: true,
    message: t("channels.required", { field }),
  });
  const keyRules = (field: string) => [
    required(field),
    { pattern: KEY_RULE, message: t("channels.pattern") },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Paragraph className="muted" style={{ margin: 0 }}>
        {t("channels.help")}
      </Typography.Paragraph>
      {channels.error && <ErrorNotice error={channels.error} />}
      {remove.error && <ErrorNotice error={remove.error} />}
      <Table<GatewayChannel>
        rowKey="id"
        size="small"
        loading={channels.isPending}
        dataSource={channels.data ?? []}
        pagination={false}
        scroll={{ x: true }}
        locale={{ emptyText: t("channels.empty") }}
        data-testid="gateway-channels"
        columns={[
          {
            title: t("channels.point"),
            key: "point",
            render: (_, c) => (
              <code>
                {c.device_key}/{c.point_key}
              </code>
            ),
          },
          {
            title: t("channels.instrument"),
            key: "instrument",
            render: (_, c) =>
              locale === "en" && c.instrument_name_en ? c.instrument_name_en : c.instrument_name,
          },
          {
            title: t("channels.metric"),
            key: "metric",
            render: (_, c) => (locale === "en" && c.name_en ? c.name_en : c.name),
          },
          { title: t("channels.unit"), dataIndex: "canonical_unit", render: (u: string) => formatUnit(u) },
          ...(manageable
            ? [
                {
                  title: t("channels.actions"),
                  key: "actions",
                  render: (_: unknown, c: GatewayChannel) => {
                    const point = `${c.device_key}/${c.point_key}`;
                    return (
                      <Space size="small">
                        <Button
                          size="small"
                          type="link"
                          aria-label={`${t("channels.edit")} ${point}`}
                          onClick={() => setEditing(c)}
                        >
                          {t("channels.edit")}
                        </Button>
                        <Popconfirm
                          title={t("channels.delete")}
                          description={
                            <div style={{ maxWidth: 320 }}>{t("channels.deleteConfirm", { point })}</div>
                          }
                          okText={t("channels.delete")}
                          cancelText={t("channels.cancel")}
                          okButtonProps={{ danger: true }}
                          onConfirm={() =>
                            remove.mutate(c.id, {
                              onSuccess: () => void message.success(t("channels.deleted")),
                            })
                          }
                        >
                          <Button
                            size="small"
                            type="link"
                            danger
                            aria-label={`${t("channels.delete")} ${point}`}
                          >
                            {t("channels.delete")}
                          </Button>
                        </Popconfirm>
                      </Space>
                    );
                  },
                },
              ]
            : []),
        ]}
      />
      {editing && (
        <EditChannel
          channel={editing}
          gatewayId={gateway.id}
          organisationId={gateway.organisation_id}
          onClose={() => setEditing(null)}
        />
      )}
      {manageable && (
        <Form<ChannelForm>
          form={form}
          layout="vertical"
          key={locale}
          onFinish={(values) =>
            add.mutate(
              { ...values, gateway_id: gateway.id },
              {
                onSuccess: () => {
                  form.resetFields();
                  void message.success(t("channels.added"));
                },
              },
            )
          }
        >
          <Typography.Title level={5}>{t("channels.add")}</Typography.Title>
          <InstrumentField organisationId={gateway.organisation_id} />
          <Space wrap align="start">
            <Form.Item name="device_key" label={t("channels.device")} rules={keyRules(t("channels.device"))}>
              <Input placeholder="chamber-1" />
            </Form.Item>
            <Form.Item
              name="point_key"
              label={t("channels.pointKey")}
              rules={keyRules(t("channels.pointKey"))}
            >
              <Input placeholder="temperature" />
            </Form.Item>
          </Space>
          <Space wrap align="start">
            <Form.Item
              name="name"
              label={t("channels.metricName")}
              rules={[required(t("channels.metricName"))]}
            >
              <Input placeholder="温度" />
            </Form.Item>
            <Form.Item name="name_en" label={t("channels.metricNameEn")}>
              <Input placeholder="Temperature" />
            </Form.Item>
            <Form.Item
              name="canonical_unit"
              label={t("channels.unit")}
              tooltip={t("channels.unitHelp")}
              rules={[required(t("channels.unit"))]}
            >
              <Input placeholder="degC" />
            </Form.Item>
          </Space>
          {add.error && <ErrorNotice error={add.error} />}
          <Button htmlType="submit" loading={add.isPending}>
            {t("channels.add")}
          </Button>
        </Form>
      )}
    </Space>
  );
}

interface EditForm {
  instrument_id: string;
  name: string;
  name_en?: string | null;
  canonical_unit: string;
}

/** Corrects a channel's names, instrument and (while it has no readings) unit. */
function EditChannel({
  channel,
  gatewayId,
  organisationId,
  onClose,
}: {
  channel: GatewayChannel;
  gatewayId: string;
  organisationId: string;
  onClose: () => void;
}) {
  const t = useGatewayText();
  const { message } = App.useApp();
  const update = useUpdateChannel(gatewayId);
  const [form] = Form.useForm<EditForm>();
  const required = (field: string) => ({
    required: true,
    whitespace: true,
    message: t("channels.required", { field }),
  });

  const save = (values: EditForm) => {
    const nameEn = values.name_en?.trim() ? values.name_en.trim() : null;
    // Only what changed is sent: restating the unit of a channel with readings is harmless,
    // but a smaller request says what the correction is.
    const change = {
      ...(values.name.trim() !== channel.name ? { name: values.name.trim() } : {}),
      ...(nameEn !== channel.name_en ? { name_en: nameEn } : {}),
      ...(values.instrument_id !== channel.instrument_id ? { instrument_id: values.instrument_id } : {}),
      ...(values.canonical_unit.trim() !== channel.canonical_unit
        ? { canonical_unit: values.canonical_unit.trim() }
        : {}),
    };
    update.mutate(
      { id: channel.id, change },
      {
        onSuccess: () => {
          void message.success(t("channels.saved"));
          onClose();
        },
      },
    );
  };

  return (
    <Modal
      open
      title={t("channels.editTitle", { point: `${channel.device_key}/${channel.point_key}` })}
      okText={t("channels.save")}
      cancelText={t("channels.cancel")}
      confirmLoading={update.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph className="muted">{t("channels.editHelp")}</Typography.Paragraph>
      <Form<EditForm>
        form={form}
        name="channel-edit"
        layout="vertical"
        initialValues={{
          instrument_id: channel.instrument_id,
          name: channel.name,
          name_en: channel.name_en ?? "",
          canonical_unit: channel.canonical_unit,
        }}
        onFinish={save}
      >
        <InstrumentField organisationId={organisationId} />
        <Form.Item name="name" label={t("channels.metricName")} rules={[required(t("channels.metricName"))]}>
          <Input />
        </Form.Item>
        <Form.Item name="name_en" label={t("channels.metricNameEn")}>
          <Input />
        </Form.Item>
        <Form.Item
          name="canonical_unit"
          label={t("channels.unit")}
          tooltip={t("channels.unitEditHelp")}
          rules={[required(t("channels.unit"))]}
        >
          <Input />
        </Form.Item>
      </Form>
      {update.error && <ErrorNotice error={update.error} />}
    </Modal>
  );
}

function Documents({ health }: { health: GatewayHealth }) {
  const t = useGatewayText();
  const { message } = App.useApp();
  const gateway = health.gateway;
  const config = useConfig(gateway.id);
  const push = usePushConfig(gateway.id);
  const starter = useAgentConfigText(gateway.id);
  const calibration = useCalibrationSet(gateway.id);
  const pushCalibration = usePushCalibration(gateway.id);
  // What the manager typed, else the stored document.
  const [edited, setText] = useState<string | null>(null);
  if (config.isPending) return <Loading />;
  const stored = config.data;
  const text = edited ?? stored?.body ?? null;

  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Paragraph className="muted" style={{ margin: 0 }}>
        {t("config.help")}
      </Typography.Paragraph>
      {config.error && <ErrorNotice error={config.error} />}
      {stored ? (
        <Space wrap>
          <Tag color={stored.running ? "green" : "gold"}>
            {stored.running ? t("config.running") : t("config.notRunning")}
          </Tag>
          <span className="muted">
            {stored.pushed_at
              ? t("config.pushedAt", { at: formatShanghaiTime(stored.pushed_at) })
              : t("config.notPushed")}
          </span>
        </Space>
      ) : (
        <Space wrap>
          <span className="muted">{t("config.none")}</span>
          <Button
            size="small"
            loading={starter.isPending}
            onClick={() => starter.mutate(undefined, { onSuccess: (body) => setText(body) })}
          >
            {t("config.loadStarter")}
          </Button>
        </Space>
      )}
      <Input.TextArea
        value={text ?? ""}
        onChange={(event) => setText(event.target.value)}
        rows={14}
        spellCheck={false}
        aria-label={t("tab.config")}
        data-testid="gateway-config"
        style={{ fontFamily: "monospace", fontSize: 13 }}
      />
      {push.error && <ErrorNotice error={push.error} />}
      <Button
        type="primary"
        loading={push.isPending}
        disabled={!text?.trim()}
        onClick={() =>
          push.mutate(text ?? "", {
            onSuccess: (result) =>
              void (result.pushed
                ? message.success(t("config.pushed"))
                : message.warning(t("config.notPushed"))),
          })
        }
      >
        {t("config.push")}
      </Button>
      <div>
        <Typography.Title level={5}>{t("calibration.title")}</Typography.Title>
        <Typography.Paragraph className="muted">{t("calibration.help")}</Typography.Paragraph>
        {calibration.data && (
          <Typography.Paragraph>
            {t("calibration.count", { n: calibration.data.corrections?.length ?? 0 })}
          </Typography.Paragraph>
        )}
        {pushCalibration.error && <ErrorNotice error={pushCalibration.error} />}
        <Button
          loading={pushCalibration.isPending}
          onClick={() =>
            pushCalibration.mutate(undefined, {
              onSuccess: (result) =>
                void (result.pushed
                  ? message.success(t("calibration.pushed"))
                  : message.warning(t("calibration.notPushed"))),
            })
          }
        >
          {t("calibration.push")}
        </Button>
      </div>
    </Space>
  );
}

function Security({
  health,
  onIssued,
  onRetired,
}: {
  health: GatewayHealth;
  onIssued: (issued: GatewayCreated) => void;
  onRetired: () => void;
}) {
  const t = useGatewayText();
  const { message } = App.useApp();
  const rotate = useRotateSecret();
  const retire = useRetireGateway();
  const gateway = health.gateway;
  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <div>
        <Typography.Paragraph>{t("rotate.help")}</Typography.Paragraph>
        {rotate.error && <ErrorNotice error={rotate.error} />}
        <Popconfirm
          title={t("rotate.button")}
          description={<div style={{ maxWidth: 320 }}>{t("rotate.confirm")}</div>}
          okText={t("rotate.button")}
          onConfirm={() => rotate.mutate(gateway.id, { onSuccess: onIssued })}
        >
          <Button loading={rotate.isPending} data-testid="gateway-rotate">
            {t("rotate.button")}
          </Button>
        </Popconfirm>
      </div>
      <div>
        <Typography.Paragraph>{t("retire.help")}</Typography.Paragraph>
        {retire.error && <ErrorNotice error={retire.error} />}
        <Popconfirm
          title={t("retire.button")}
          description={<div style={{ maxWidth: 320 }}>{t("retire.confirm")}</div>}
          okText={t("retire.button")}
          okButtonProps={{ danger: true }}
          onConfirm={() =>
            retire.mutate(gateway.id, {
              onSuccess: () => {
                void message.success(t("retire.done", { key: gateway.key }));
                onRetired();
              },
            })
          }
        >
          <Button danger loading={retire.isPending} data-testid="gateway-retire">
            {t("retire.button")}
          </Button>
        </Popconfirm>
      </div>
      {condition(health) === "retired" && <Alert type="info" title={t("status.retired")} />}
    </Space>
  );
}
