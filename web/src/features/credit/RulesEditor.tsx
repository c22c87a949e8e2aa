import { App, Alert, Button, Card, Form, Input, InputNumber, Select, Space, Typography } from "antd";
import { useEffect } from "react";
import { ApiError } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { describeError } from "../../i18n/problems";
import { type RuleSet, useRules, useSaveRules } from "./api";
import { type TextId, useText } from "./text";
import { fieldNamePath, rulesFieldProblem, rulesFieldWhere } from "./wording";

const CLASSES = ["A", "B", "C", "D"] as const;
const FACTS = [
  "cma_valid",
  "pt_unsatisfactory",
  "pt_questionable",
  "findings_serious",
  "findings_major",
  "findings_minor",
  "complaints_upheld",
  "corrective_overdue",
] as const;
const OPS = ["==", ">=", ">", "<=", "<"] as const;

/** The server's 422 for the rules, in the reader's words: the shared title, each field placed. */
function RulesProblem({ error }: { error: unknown }) {
  const { locale } = useI18n();
  const tx = useText();
  const fieldErrors = error instanceof ApiError && error.status === 422 ? (error.problem.errors ?? []) : [];
  if (!fieldErrors.length) return <ErrorNotice error={error} />;
  const { title } = describeError(error, locale);
  const lines = [
    ...new Set(
      fieldErrors.map((e) =>
        tx("rules.invalid", {
          where: rulesFieldWhere(e.field, locale),
          problem: rulesFieldProblem(e.message, locale),
        }),
      ),
    ),
  ];
  return (
    <div className="alert alert-error" role="alert" data-testid="rules-problem">
      <strong>{title}</strong>
      {lines.map((line) => (
        <div key={line}>{line}</div>
      ))}
    </div>
  );
}

/**
 * The configurable credit-class rules: the window, the default class, and the rules tried in
 * order, each with the conditions of which any one gives its class. The platform saves a new
 * version; the server validates it and its field errors are shown where they lie.
 */
export function RulesEditor({ editable }: { editable: boolean }) {
  const tx = useText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const rules = useRules();
  const save = useSaveRules();
  const [form] = Form.useForm<RuleSet>();
  useEffect(() => {
    if (rules.data) form.setFieldsValue(rules.data.rules);
  }, [form, rules.data]);
  useEffect(() => {
    const errors =
      save.error instanceof ApiError && save.error.status === 422 ? (save.error.problem.errors ?? []) : [];
    if (errors.length)
      form.setFields(
        // The server names fields by their body path; the form's names follow the body.
        errors.map((e) => ({
          name: fieldNamePath(e.field) as never,
          errors: [rulesFieldProblem(e.message, locale)],
        })),
      );
  }, [form, save.error, locale]);
  if (rules.isPending) return <Loading />;
  if (rules.isError) return <ErrorNotice error={rules.error} onRetry={() => void rules.refetch()} />;
  const version = rules.data.version;
  const classOptions = CLASSES.map((c) => ({ value: c, label: tx("credit.class.value", { class: c }) }));
  return (
    <div data-testid="rules-editor">
      <Typography.Title level={2} style={{ fontSize: "1.25rem", margin: "0.5rem 0" }}>
        {tx("rules.title")}
      </Typography.Title>
      <Typography.Paragraph>{tx("rules.intro")}</Typography.Paragraph>
      <Typography.Paragraph data-testid="rules-version">
        {version === 0 ? tx("rules.version.builtIn") : tx("rules.version", { version })}
      </Typography.Paragraph>
      {!editable && <Alert type="info" showIcon title={tx("rules.readOnly")} />}
      <Form<RuleSet>
        form={form}
        name="rules"
        layout="vertical"
        disabled={!editable}
        initialValues={rules.data.rules}
        aria-label={tx("rules.title")}
        onFinish={(values) =>
          save.mutate(values, {
            onSuccess: (saved) => void message.success(tx("rules.saved", { version: saved.version })),
          })
        }
      >
        <Space wrap size="middle" align="start">
          <Form.Item
            name="window_days"
            label={tx("rules.window")}
            extra={tx("rules.window.help")}
            rules={[{ required: true, message: tx("credit.required", { field: tx("rules.window") }) }]}
          >
            <InputNumber precision={0} />
          </Form.Item>
          <Form.Item name={["default", "class"]} label={tx("rules.default")}>
            <Select style={{ minWidth: "7rem" }} options={classOptions} />
          </Form.Item>
        </Space>
        <Form.Item name={["default", "text"]} label={tx("rules.defaultText")}>
          <Input maxLength={300} />
        </Form.Item>
        <Form.List name="rules">
          {(ruleFields, { add, remove, move }) => (
            <>
              {ruleFields.map((ruleField, index) => (
                <Card
                  key={ruleField.key}
                  size="small"
                  className="credit-rule"
                  style={{ marginBottom: "1rem" }}
                  data-testid="rules-rule"
                  title={tx("rules.rule", { n: index + 1 })}
                  extra={
                    editable && (
                      <Space>
                        {index > 0 && (
                          <Button size="small" onClick={() => move(index, index - 1)}>
                            {tx("rules.up")}
                          </Button>
                        )}
                        <Button size="small" danger onClick={() => remove(ruleField.name)}>
                          {tx("rules.remove")}
                        </Button>
                      </Space>
                    )
                  }
                >
                  <Space wrap size="middle" align="start">
                    <Form.Item name={[ruleField.name, "id"]} label={tx("rules.id")}>
                      <Input maxLength={40} />
                    </Form.Item>
                    <Form.Item name={[ruleField.name, "class"]} label={tx("rules.class")}>
                      <Select style={{ minWidth: "7rem" }} options={classOptions} />
                    </Form.Item>
                  </Space>
                  <Form.Item name={[ruleField.name, "text"]} label={tx("rules.text")}>
                    <Input.TextArea rows={2} maxLength={300} />
                  </Form.Item>
                  <div>
                    <Typography.Text strong>{tx("rules.conditions")}</Typography.Text>
                  </div>
                  <Form.List name={[ruleField.name, "any"]}>
                    {(conditionFields, conditions) => (
                      <>
                        {conditionFields.map((c, n) => (
                          <Space
                            key={c.key}
                            wrap
                            align="start"
                            className="credit-condition"
                            style={{ display: "flex", marginTop: "0.5rem" }}
                          >
                            <span className="muted">{tx("rules.condition", { n: n + 1 })}</span>
                            <Form.Item name={[c.name, "fact"]} aria-label={tx("rules.fact")}>
                              <Select
                                style={{ minWidth: "14rem" }}
                                options={FACTS.map((f) => ({ value: f, label: tx(`fact.${f}` as TextId) }))}
                              />
                            </Form.Item>
                            <Form.Item name={[c.name, "op"]} aria-label={tx("rules.op")}>
                              <Select
                                style={{ minWidth: "5rem" }}
                                options={OPS.map((o) => ({ value: o, label: tx(`op.${o}` as TextId) }))}
                              />
                            </Form.Item>
                            <Form.Item name={[c.name, "value"]} aria-label={tx("rules.value")}>
                              <InputNumber />
                            </Form.Item>
                            {editable && (
                              <Button size="small" onClick={() => conditions.remove(c.name)}>
                                {tx("rules.remove")}
                              </Button>
                            )}
                          </Space>
                        ))}
                        {editable && (
                          <div>
                            <Button
                              size="small"
                              onClick={() => conditions.add({ fact: "findings_minor", op: ">=", value: 1 })}
                            >
                              {tx("rules.addCondition")}
                            </Button>
                          </div>
                        )}
                      </>
                    )}
                  </Form.List>
                </Card>
              ))}
              {editable && (
                <Button
                  style={{ marginBottom: "1rem" }}
                  onClick={() =>
                    add({
                      id: `R${ruleFields.length + 1}`,
                      class: "B",
                      text: "",
                      any: [{ fact: "findings_minor", op: ">=", value: 1 }],
                    })
                  }
                >
                  {tx("rules.addRule")}
                </Button>
              )}
            </>
          )}
        </Form.List>
        {save.isError && <RulesProblem error={save.error} />}
        {editable && (
          <Form.Item>
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="rules-save">
              {tx("rules.save")}
            </Button>
          </Form.Item>
        )}
      </Form>
    </div>
  );
}
