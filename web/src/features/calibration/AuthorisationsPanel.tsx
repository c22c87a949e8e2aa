import { App, Button, Card, DatePicker, Form, Select, Space, Table, Tag } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { type ListColumn, sortBy, useListTools } from "../../components/ListTools";
import { useI18n } from "../../i18n";
import { formatLocalMinute } from "../../i18n/problems";
import {
  useInstrumentPost,
  useNamedAuthorisations,
  useOperatorCandidates,
  type NamedAuthorisation,
} from "./api";
import { useText } from "./text";

interface GrantValues {
  user_id: string;
  trained_on: Dayjs;
  lapse_on?: Dayjs | null;
}

/** Today in Beijing, as a day. */
function today(): Dayjs {
  return dayjs().tz().startOf("day");
}

/** Days from today to the chosen lapse date: what the server's `lapse_after_days` counts. */
export function lapseAfterDays(lapseOn: Dayjs | null | undefined, from: Dayjs = today()): number | null {
  if (!lapseOn) return null;
  return Math.max(1, lapseOn.startOf("day").diff(from.startOf("day"), "day"));
}

function StatusTag({ a }: { a: NamedAuthorisation }) {
  const t = useText();
  if (a.revoked_at) return <Tag>{t("auth.revoked")}</Tag>;
  return <Tag color={a.active ? "green" : "red"}>{t(a.active ? "manage.active" : "manage.lapsed")}</Tag>;
}

/**
 * Operator authorisations of one instrument: who holds one (name, organisation, e-mail), and a
 * form that picks the person by name or e-mail and sets the training date and an optional date
 * on which it lapses if unused. Saving confirms and clears the form.
 */
export function AuthorisationsPanel({ instrumentId }: { instrumentId: string }) {
  const t = useText();
  const { message } = App.useApp();
  const { locale } = useI18n();
  const list = useNamedAuthorisations(instrumentId);
  const grant = useInstrumentPost<Record<string, unknown>>(instrumentId, "/authorisations");
  const [search, setSearch] = useState("");
  const candidates = useOperatorCandidates(instrumentId, search);
  const [form] = Form.useForm<GrantValues>();
  const statusText = (a: NamedAuthorisation) =>
    a.revoked_at ? t("auth.revoked") : t(a.active ? "manage.active" : "manage.lapsed");
  const listed: ListColumn<NamedAuthorisation>[] = [
    {
      title: t("auth.user"),
      value: (a) => [a.user_name, a.organisation_name, a.user_email].filter(Boolean).join(" "),
    },
    { title: t("manage.trainedOn"), value: (a) => a.trained_on },
    {
      title: t("auth.status"),
      value: (a) =>
        `${statusText(a)} ${a.lapses_at ? t("auth.lapsesOn", { date: formatLocalMinute(a.lapses_at).slice(0, 10) }) : t("auth.never")}`,
    },
  ];
  const { shown, toolbar } = useListTools(list.data, listed, "labshare-authorisations.csv");

  const submit = (values: GrantValues) => {
    const picked = candidates.data?.find((c) => c.user_id === values.user_id);
    grant.mutate(
      {
        user_id: values.user_id,
        trained_on: values.trained_on.format("YYYY-MM-DD"),
        lapse_after_days: lapseAfterDays(values.lapse_on),
      },
      {
        onSuccess: () => {
          void message.success(t("auth.granted", { name: picked?.full_name ?? "" }));
          form.resetFields();
          setSearch("");
        },
      },
    );
  };

  return (
    <Card title={<h2>{t("manage.authorisations")}</h2>} data-testid="authorisations-panel">
      {!!list.data?.length && <div className="list-tools-row">{toolbar}</div>}
      <Table<NamedAuthorisation>
        data-testid="authorisations"
        rowKey="id"
        size="small"
        loading={list.isPending}
        dataSource={shown}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: t("auth.empty") }}
        columns={[
          {
            title: t("auth.user"),
            key: "user",
            sorter: sortBy((a) => a.user_name),
            render: (_, a) => (
              <>
                <div>{a.user_name ?? "—"}</div>
                <div className="muted">
                  {a.organisation_name} · {a.user_email}
                </div>
              </>
            ),
          },
          {
            title: t("manage.trainedOn"),
            key: "trained",
            dataIndex: "trained_on",
            sorter: sortBy((a) => a.trained_on),
          },
          {
            title: t("auth.status"),
            key: "status",
            sorter: sortBy(statusText),
            render: (_, a) => (
              <Space size={4} wrap>
                <StatusTag a={a} />
                <span className="muted">
                  {a.lapses_at
                    ? t("auth.lapsesOn", { date: formatLocalMinute(a.lapses_at).slice(0, 10) })
                    : t("auth.never")}
                </span>
              </Space>
            ),
          },
        ]}
      />
      {grant.error && <ErrorNotice error={grant.error} />}
      <Form<GrantValues>
        form={form}
        layout="vertical"
        data-testid="authorisation-form"
        initialValues={{ trained_on: today() }}
        onFinish={submit}
        className="form-grid"
      >
        <Form.Item
          name="user_id"
          label={t("auth.user")}
          rules={[{ required: true, message: t("auth.required") }]}
        >
          <Select
            showSearch={{ filterOption: false, onSearch: setSearch }}
            placeholder={t("auth.userSearch")}
            loading={candidates.isFetching}
            notFoundContent={search.trim() ? t("auth.noMatch") : null}
            data-testid="operator-picker"
            options={(candidates.data ?? []).map((c) => ({
              value: c.user_id,
              label: `${c.full_name} · ${locale === "en" ? (c.organisation_name_en ?? c.organisation_name) : c.organisation_name} · ${c.email}${c.authorised ? ` (${t("auth.alreadyAuthorised")})` : ""}`,
            }))}
          />
        </Form.Item>
        <Form.Item
          name="trained_on"
          label={t("manage.trainedOn")}
          rules={[{ required: true, message: t("auth.trainedRequired") }]}
        >
          <DatePicker disabledDate={(d) => d.isAfter(today(), "day")} />
        </Form.Item>
        <Form.Item name="lapse_on" label={t("auth.lapseOn")} extra={t("auth.lapseHint")}>
          <DatePicker disabledDate={(d) => !d.isAfter(today(), "day")} />
        </Form.Item>
        <Form.Item label=" ">
          <Button type="primary" htmlType="submit" loading={grant.isPending}>
            {t("auth.grant")}
          </Button>
        </Form.Item>
      </Form>
    </Card>
  );
}
