import {
  App,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Form,
  Input,
  Modal,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { localDayjs } from "../../lib/antd";
import { formatShanghaiTime } from "../../lib/format";
import {
  type CorrectiveAction,
  type Fact,
  type Finding,
  useCloseAction,
  useRecord,
  useRecordFinding,
  useRequireAction,
} from "./api";
import { type TextId, useText } from "./text";
import { actionStatus, factKind, factText, pickBilingual, shanghaiToday } from "./wording";

export const CLASS_COLOUR: Record<string, string> = { A: "green", B: "blue", C: "orange", D: "red" };

export function ClassTag({ value }: { value: string }) {
  const tx = useText();
  return (
    <Tag color={CLASS_COLOUR[value] ?? "default"} data-testid="credit-class">
      {tx("credit.class.value", { class: value })}
    </Tag>
  );
}

// Ant Design's own title sizes are a size above the app's page title (1.5rem).
const HEADING = { fontSize: "1.25rem", margin: "1rem 0 0.75rem" };
const SECTION = { fontSize: "1.05rem", margin: "1.5rem 0 0.5rem" };

const ACTION_COLOUR = { open: "blue", overdue: "red", closed: "green" } as const;
const KINDS = ["flying_inspection", "complaint_investigation", "other"] as const;
const SEVERITIES = ["minor", "major", "serious"] as const;

/**
 * One institution's credit record: the class with the rule and counts that produced it, the
 * dated facts, the class changes, findings and corrective actions. The platform (the
 * regulator's seat) records findings and requires actions; the institution's lab manager and
 * the platform close actions; everyone else who may read it reads it.
 */
export function InstitutionRecord({
  organisationId,
  displayName,
  regulator,
  mayClose,
}: {
  organisationId: string;
  /** The institution's name in the reader's language (the record carries the Chinese one). */
  displayName?: string;
  regulator: boolean;
  mayClose: boolean;
}) {
  const tx = useText();
  const { locale } = useI18n();
  const { record, history, findings, actions } = useRecord(organisationId);
  // The day the page was opened (Beijing): what "overdue" and the forms' default dates read.
  const [now] = useState(() => Date.now());
  if (record.isPending) return <Loading />;
  if (record.isError) return <ErrorNotice error={record.error} onRetry={() => void record.refetch()} />;
  const r = record.data;
  const today = shanghaiToday(now);
  return (
    <div className="credit-record" data-testid="credit-record">
      <Typography.Title level={2} style={HEADING}>
        {tx("credit.record", { name: displayName ?? r.organisation })}
      </Typography.Title>
      <Card title={tx("credit.rule")} data-testid="credit-basis">
        <Space orientation="vertical" size="small" style={{ width: "100%" }}>
          <Space wrap>
            <ClassTag value={r.credit_class} />
            <span>{r.rule_id ? tx("credit.rule.id", { id: r.rule_id }) : tx("credit.rule.default")}</span>
            <span className="muted">
              {r.rule_version === 0
                ? tx("credit.rule.builtIn")
                : tx("credit.rule.version", { version: r.rule_version })}
            </span>
          </Space>
          <div data-testid="credit-rule-text">{pickBilingual(r.rule_text, locale)}</div>
          {r.matched.length > 0 && (
            <div>
              <strong>{tx("credit.matched")}</strong>
              <ul data-testid="credit-matched">
                {r.matched.map((m) => (
                  <li key={`${m.fact}${m.op}${m.value}`}>
                    {tx("credit.matched.line", {
                      fact: tx(`fact.${m.fact}` as TextId),
                      op: tx(`op.${m.op}` as TextId),
                      value: m.value,
                      actual: m.actual,
                    })}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {r.window_from && <div className="muted">{tx("credit.window", { from: r.window_from })}</div>}
          <Descriptions
            size="small"
            bordered
            column={{ xs: 1, sm: 2, lg: 4 }}
            title={tx("credit.counts")}
            items={Object.entries(r.counts).map(([fact, count]) => ({
              key: fact,
              label: tx(`fact.${fact}` as TextId),
              children: count,
            }))}
          />
        </Space>
      </Card>

      <Typography.Title level={3} style={SECTION}>
        {tx("credit.facts")}
      </Typography.Title>
      <Table<Fact>
        data-testid="credit-facts"
        size="small"
        rowKey={(f) => `${f.on}|${f.kind}|${f.text}`}
        scroll={{ x: 640 }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: tx("credit.facts.none") }}
        dataSource={r.facts}
        columns={[
          { title: tx("credit.fact.on"), dataIndex: "on", width: 110 },
          {
            title: tx("credit.fact.kind"),
            key: "kind",
            width: 140,
            render: (_, f) => factKind(f.kind, locale),
          },
          { title: tx("credit.fact.text"), key: "text", render: (_, f) => factText(f, locale) },
          {
            title: tx("credit.fact.counted"),
            key: "counted",
            width: 150,
            render: (_, f) =>
              f.counted ? (
                <Tag color="orange" style={{ whiteSpace: "normal" }}>
                  {tx(`fact.${f.counted}` as TextId)}
                </Tag>
              ) : (
                <span className="muted">{tx("credit.fact.counted.no")}</span>
              ),
          },
        ]}
      />

      <Typography.Title level={3} style={SECTION}>
        {tx("credit.history")}
      </Typography.Title>
      {history.isError && <ErrorNotice error={history.error} />}
      <Table
        data-testid="credit-history"
        size="small"
        rowKey="computed_at"
        scroll={{ x: 640 }}
        loading={history.isPending}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: tx("credit.history.none") }}
        dataSource={history.data ?? []}
        columns={[
          {
            title: tx("credit.history.at"),
            dataIndex: "computed_at",
            render: (at: string) => formatShanghaiTime(at),
          },
          {
            title: tx("credit.class"),
            dataIndex: "credit_class",
            render: (c: string) => <ClassTag value={c} />,
          },
          {
            title: tx("credit.rule"),
            key: "rule",
            render: (_, a) =>
              `${a.rule_id ? tx("credit.rule.id", { id: a.rule_id }) : tx("credit.rule.default")} · ${
                a.rule_version === 0
                  ? tx("credit.rule.builtIn")
                  : tx("credit.rule.version", { version: a.rule_version })
              }`,
          },
        ]}
      />

      <Typography.Title level={3} style={SECTION}>
        {tx("credit.findings")}
      </Typography.Title>
      {findings.isError && <ErrorNotice error={findings.error} />}
      <Table<Finding>
        data-testid="credit-findings"
        size="small"
        rowKey="id"
        scroll={{ x: 640 }}
        loading={findings.isPending}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: tx("credit.findings.none") }}
        dataSource={findings.data ?? []}
        columns={[
          { title: tx("credit.finding.foundOn"), dataIndex: "found_on", width: 110 },
          {
            title: tx("credit.finding.kind"),
            key: "kind",
            render: (_, f) => tx(`credit.finding.kind.${f.kind}`),
          },
          {
            title: tx("credit.finding.severity"),
            key: "severity",
            render: (_, f) => (
              <Tag color={f.severity === "minor" ? "gold" : "red"}>{tx(`credit.severity.${f.severity}`)}</Tag>
            ),
          },
          {
            title: tx("credit.finding.description"),
            key: "description",
            render: (_, f) => (
              <div>
                {f.description}
                <div className="muted">
                  {tx("credit.finding.evidence")}：{f.evidence}
                </div>
              </div>
            ),
          },
          {
            title: tx("credit.finding.published"),
            key: "published",
            render: (_, f) => tx(f.published ? "credit.finding.public" : "credit.finding.internal"),
          },
        ]}
      />
      {regulator && <FindingForm organisationId={organisationId} now={now} />}

      <Typography.Title level={3} style={SECTION}>
        {tx("credit.actions")}
      </Typography.Title>
      {actions.isError && <ErrorNotice error={actions.error} />}
      <ActionsTable
        actions={actions.data ?? []}
        loading={actions.isPending}
        today={today}
        mayClose={mayClose}
        findings={findings.data ?? []}
        now={now}
      />
      {regulator && <ActionForm organisationId={organisationId} findings={findings.data ?? []} now={now} />}
    </div>
  );
}

function ActionsTable({
  actions,
  loading,
  today,
  mayClose,
  findings,
  now,
}: {
  actions: CorrectiveAction[];
  loading: boolean;
  today: string;
  mayClose: boolean;
  findings: Finding[];
  now: number;
}) {
  const tx = useText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const close = useCloseAction();
  const [closing, setClosing] = useState<CorrectiveAction | null>(null);
  const [form] = Form.useForm<{ closed_on: Dayjs; closure_note: string }>();
  const findingOf = new Map(findings.map((f) => [f.id, f]));
  return (
    <>
      <Table<CorrectiveAction>
        data-testid="credit-actions"
        size="small"
        rowKey="id"
        scroll={{ x: 640 }}
        loading={loading}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: tx("credit.actions.none") }}
        dataSource={actions}
        columns={[
          {
            title: tx("credit.action.description"),
            key: "description",
            render: (_, a) => {
              const finding = a.finding_id ? findingOf.get(a.finding_id) : undefined;
              return (
                <div>
                  {a.description}
                  {finding && (
                    <div className="muted">
                      {tx("credit.action.finding")}：{finding.found_on} {finding.description}
                    </div>
                  )}
                  {a.closure_note && (
                    <div className="muted">
                      {tx("credit.action.closureNote")}：{a.closure_note}
                    </div>
                  )}
                </div>
              );
            },
          },
          { title: tx("credit.action.due"), dataIndex: "due_on", width: 110 },
          {
            title: tx("credit.action.status"),
            key: "status",
            render: (_, a) => {
              const status = actionStatus(a, today);
              return (
                <Space orientation="vertical" size={0}>
                  <Tag color={ACTION_COLOUR[status]} data-testid="action-status">
                    {tx(`credit.action.status.${status}`)}
                  </Tag>
                  {a.closed_on && <span className="muted">{a.closed_on}</span>}
                </Space>
              );
            },
          },
          ...(mayClose
            ? [
                {
                  title: "",
                  key: "close",
                  render: (_: unknown, a: CorrectiveAction) =>
                    a.closed_on ? null : (
                      <Button size="small" onClick={() => setClosing(a)} data-testid="action-close">
                        {tx("credit.action.close")}
                      </Button>
                    ),
                },
              ]
            : []),
        ]}
      />
      <Modal
        open={closing !== null}
        title={`${tx("credit.action.close")}：${closing?.description ?? ""}`}
        okText={tx("credit.action.close")}
        cancelText={tx("credit.cancel")}
        okButtonProps={{ loading: close.isPending }}
        onCancel={() => setClosing(null)}
        destroyOnHidden
        onOk={() =>
          void form.validateFields().then(({ closed_on, closure_note }) => {
            const target = closing;
            if (!target) return;
            close.mutate(
              { id: target.id, closed_on: closed_on.format("YYYY-MM-DD"), closure_note: closure_note.trim() },
              {
                onSuccess: (done) => {
                  setClosing(null);
                  form.resetFields();
                  void message.success(tx("credit.action.closedDone", { class: done.credit_class }));
                },
              },
            );
          })
        }
      >
        {close.isError && <ErrorNotice error={close.error} />}
        <Form
          form={form}
          name="close"
          layout="vertical"
          preserve={false}
          key={locale}
          initialValues={{ closed_on: localDayjs(now) }}
        >
          <Form.Item
            name="closed_on"
            label={tx("credit.action.closedOn")}
            rules={[
              { required: true, message: tx("credit.required", { field: tx("credit.action.closedOn") }) },
            ]}
          >
            <DatePicker />
          </Form.Item>
          <Form.Item
            name="closure_note"
            label={tx("credit.action.closureNote")}
            rules={[
              {
                required: true,
                whitespace: true,
                message: tx("credit.required", { field: tx("credit.action.closureNote") }),
              },
            ]}
          >
            <Input.TextArea rows={3} maxLength={2000} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

interface FindingValues {
  found_on: Dayjs;
  kind: (typeof KINDS)[number];
  severity: (typeof SEVERITIES)[number];
  description: string;
  evidence: string;
  published: boolean;
}

function FindingForm({ organisationId, now }: { organisationId: string; now: number }) {
  const tx = useText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const save = useRecordFinding();
  const [form] = Form.useForm<FindingValues>();
  const required = (field: TextId) => [
    { required: true, whitespace: true, message: tx("credit.required", { field: tx(field) }) },
  ];
  return (
    <Card title={tx("credit.finding.new")} size="small" className="credit-form">
      <Form<FindingValues>
        form={form}
        name="finding"
        layout="vertical"
        key={locale}
        aria-label={tx("credit.finding.new")}
        data-testid="finding-form"
        initialValues={{
          found_on: localDayjs(now),
          kind: "flying_inspection",
          severity: "minor",
          published: false,
        }}
        onFinish={(v) =>
          save.mutate(
            {
              organisation_id: organisationId,
              found_on: v.found_on.format("YYYY-MM-DD"),
              kind: v.kind,
              severity: v.severity,
              description: v.description.trim(),
              evidence: v.evidence.trim(),
              published: v.published,
            },
            {
              onSuccess: (done) => {
                form.resetFields(["description", "evidence"]);
                void message.success(tx("credit.finding.saved", { class: done.credit_class }));
              },
            },
          )
        }
      >
        <Space wrap size="middle" align="start">
          <Form.Item name="found_on" label={tx("credit.finding.foundOn")} rules={[{ required: true }]}>
            <DatePicker />
          </Form.Item>
          <Form.Item name="kind" label={tx("credit.finding.kind")}>
            <Select
              style={{ minWidth: "11rem" }}
              options={KINDS.map((k) => ({ value: k, label: tx(`credit.finding.kind.${k}`) }))}
            />
          </Form.Item>
          <Form.Item name="severity" label={tx("credit.finding.severity")}>
            <Select
              style={{ minWidth: "9rem" }}
              options={SEVERITIES.map((s) => ({ value: s, label: tx(`credit.severity.${s}`) }))}
            />
          </Form.Item>
        </Space>
        <Form.Item
          name="description"
          label={tx("credit.finding.description")}
          rules={required("credit.finding.description")}
        >
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Form.Item
          name="evidence"
          label={tx("credit.finding.evidence")}
          extra={tx("credit.finding.evidence.help")}
          rules={required("credit.finding.evidence")}
        >
          <Input.TextArea rows={3} maxLength={5000} />
        </Form.Item>
        <Form.Item name="published" label={tx("credit.finding.published")} valuePropName="checked">
          <Switch />
        </Form.Item>
        {save.isError && <ErrorNotice error={save.error} />}
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {tx("credit.finding.save")}
        </Button>
      </Form>
    </Card>
  );
}

interface ActionValues {
  finding_id: string;
  description: string;
  due_on: Dayjs;
}

function ActionForm({
  organisationId,
  findings,
  now,
}: {
  organisationId: string;
  findings: Finding[];
  now: number;
}) {
  const tx = useText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const save = useRequireAction();
  const [form] = Form.useForm<ActionValues>();
  return (
    <Card title={tx("credit.action.new")} size="small" className="credit-form">
      <Form<ActionValues>
        form={form}
        name="action"
        layout="vertical"
        key={locale}
        aria-label={tx("credit.action.new")}
        data-testid="action-form"
        initialValues={{ finding_id: "", due_on: localDayjs(now).add(30, "day") }}
        onFinish={(v) =>
          save.mutate(
            {
              organisation_id: organisationId,
              finding_id: v.finding_id || null,
              description: v.description.trim(),
              due_on: v.due_on.format("YYYY-MM-DD"),
            },
            {
              onSuccess: () => {
                form.resetFields(["description"]);
                void message.success(tx("credit.action.saved"));
              },
            },
          )
        }
      >
        <Form.Item name="finding_id" label={tx("credit.action.finding")}>
          <Select
            options={[
              { value: "", label: tx("credit.action.finding.none") },
              ...findings.map((f) => ({ value: f.id, label: `${f.found_on} ${f.description}` })),
            ]}
          />
        </Form.Item>
        <Form.Item
          name="description"
          label={tx("credit.action.description")}
          rules={[
            {
              required: true,
              whitespace: true,
              message: tx("credit.required", { field: tx("credit.action.description") }),
            },
          ]}
        >
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Form.Item name="due_on" label={tx("credit.action.due")} rules={[{ required: true }]}>
          <DatePicker />
        </Form.Item>
        {save.isError && <ErrorNotice error={save.error} />}
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {tx("credit.action.save")}
        </Button>
      </Form>
    </Card>
  );
}
