import { App, Button, Form, Input, Popconfirm } from "antd";
import type { Dayjs } from "dayjs";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { MinutePicker } from "../../components/MinutePicker";
import { useI18n } from "../../i18n";
import { pickedToIso } from "../calibration";
import { formatTime } from "./CostModelForm";
import { useAddBlackout, useBlackouts, useDeleteBlackout } from "./editorApi";
import { useEditorText } from "./text";
import "./registry.css";

interface BlackoutValues {
  /** Beijing wall times, to the minute. */
  start_at: Dayjs;
  end_at: Dayjs;
  reason?: string;
}

/** Lab blackouts: add one (Beijing time, with a reason) and see those coming up. */
export function BlackoutsPanel({ instrumentId }: { instrumentId: string }) {
  const t = useEditorText();
  const { locale } = useI18n();
  const { message } = App.useApp();
  const list = useBlackouts(instrumentId);
  const add = useAddBlackout(instrumentId);
  const remove = useDeleteBlackout(instrumentId);
  const [form] = Form.useForm<BlackoutValues>();
  const required = (field: string) => ({ required: true, message: t("editor.required", { field }) });

  return (
    <section className="card editor-form" data-testid="blackouts">
      <h2>{t("blackout.title")}</h2>
      <p className="muted">{t("blackout.hint")}</p>
      <Form<BlackoutValues>
        form={form}
        layout="vertical"
        onFinish={(values) =>
          add.mutate(
            {
              start_at: pickedToIso(values.start_at),
              end_at: pickedToIso(values.end_at),
              reason: values.reason?.trim() ?? "",
            },
            {
              onSuccess: () => {
                form.resetFields();
                void message.success(t("editor.saved"));
              },
            },
          )
        }
      >
        {!!(add.error ?? remove.error) && <ErrorNotice error={add.error ?? remove.error} />}
        <div className="editor-grid">
          <Form.Item name="start_at" label={t("blackout.start")} rules={[required(t("blackout.start"))]}>
            <MinutePicker />
          </Form.Item>
          <Form.Item
            name="end_at"
            label={t("blackout.end")}
            dependencies={["start_at"]}
            rules={[
              required(t("blackout.end")),
              ({ getFieldValue }) => ({
                validator: (_, value: Dayjs | null | undefined) => {
                  const start = getFieldValue("start_at") as Dayjs | null | undefined;
                  return !value || !start || value.isAfter(start)
                    ? Promise.resolve()
                    : Promise.reject(new Error(t("blackout.endAfterStart")));
                },
              }),
            ]}
          >
            <MinutePicker />
          </Form.Item>
          <Form.Item name="reason" label={t("blackout.reason")} className="editor-wide">
            <Input maxLength={500} />
          </Form.Item>
        </div>
        <Button type="primary" htmlType="submit" loading={add.isPending}>
          {t("blackout.add")}
        </Button>
      </Form>
      <h3>{t("blackout.upcoming")}</h3>
      {list.isPending && <Loading />}
      {list.isError && <ErrorNotice error={list.error} />}
      {list.data?.length === 0 && <p className="muted">{t("blackout.none")}</p>}
      {!!list.data?.length && (
        <ul className="blackout-list" data-testid="blackout-list">
          {list.data.map((b) => (
            <li key={b.id}>
              {formatTime(b.start_at, locale)} – {formatTime(b.end_at, locale)} ·{" "}
              {b.reason || t("blackout.noReason")}{" "}
              <Popconfirm
                title={t("blackout.removeConfirm")}
                okText={t("blackout.remove")}
                cancelText={t("blackout.keep")}
                onConfirm={() =>
                  remove.mutate(b.id, { onSuccess: () => void message.success(t("blackout.removed")) })
                }
              >
                <Button
                  type="link"
                  size="small"
                  danger
                  loading={remove.isPending && remove.variables === b.id}
                >
                  {t("blackout.remove")}
                </Button>
              </Popconfirm>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
