import { Alert, App, Button, Card, Form, Input, Result, Select, Table, Tag, Typography } from "antd";
import type { Role } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { type ListColumn, sortBy, useListTools } from "../../components/ListTools";
import { useI18n } from "../../i18n";
import { useCurrentUser } from "../auth";
import { formatBeijing } from "../calibration";
import { type Invitation, type Member, useAssignRole, useInvitations, useInvite, useMembers } from "./api";
import { useRegistrationText } from "./text";

/** The link a colleague opens to join; the server keeps only the token's hash. */
export function invitationLink(token: string, origin: string = window.location.origin): string {
  return `${origin}/invite/${encodeURIComponent(token)}`;
}

/** The roles each organisation's administrator hands out, the ordinary one first (as the server). */
const ASSIGNABLE: Partial<Record<Role, Role[]>> = {
  enterprise_admin: ["enterprise_member", "enterprise_admin"],
  lab_manager: ["lab_staff", "lab_manager"],
};

/** An organisation's administrator (enterprise admin, lab manager) invites colleagues by link
 * and gives its members their roles. */
export function InvitationsPage() {
  const t = useRegistrationText();
  const me = useCurrentUser();
  if (me.isPending) return <Loading />;
  const roles = me.data ? ASSIGNABLE[me.data.role] : undefined;
  if (!me.data || !roles) return <Result status="403" title={t("invite.forbidden")} />;
  return <Invitations roles={roles} myId={me.data.id} />;
}

function Invitations({ roles, myId }: { roles: Role[]; myId: string }) {
  const t = useRegistrationText();
  const { t: app } = useI18n();
  const { message } = App.useApp();
  const list = useInvitations();
  const invite = useInvite();
  const members = useMembers();
  const assign = useAssignRole();
  const [form] = Form.useForm<{ email: string; role: Role }>();
  const memberColumns: ListColumn<Member>[] = [
    { title: t("members.name"), value: (m) => m.full_name },
    { title: t("invite.emailColumn"), value: (m) => m.email },
    { title: t("members.role"), value: (m) => app(`role.${m.role}`) },
    { title: t("members.since"), value: (m) => formatBeijing(m.created_at) },
  ];
  const memberTools = useListTools(members.data, memberColumns, "labshare-members.csv");
  const roleOptions = roles.map((value) => ({ value, label: app(`role.${value}`) }));
  // When the list arrived: an invitation shown as open stays open until the list refreshes.
  const now = list.dataUpdatedAt;
  const state = (i: Invitation) =>
    i.accepted_at ? (
      <Tag color="green">{t("invite.accepted")}</Tag>
    ) : Date.parse(i.expires_at) <= now ? (
      <Tag>{t("invite.expired")}</Tag>
    ) : (
      <Tag color="blue">{t("invite.open")}</Tag>
    );
  return (
    <section className="page">
      <Typography.Title level={1} className="page-title">
        {t("invite.title")}
      </Typography.Title>
      <Card>
        <p className="muted">{t("invite.subtitle")}</p>
        <Form
          form={form}
          layout="vertical"
          style={{ maxWidth: 420 }}
          initialValues={{ role: roles[0] }}
          onFinish={({ email, role }) =>
            invite.mutate({ email: email.trim(), role }, { onSuccess: () => form.resetFields() })
          }
        >
          <Form.Item
            name="email"
            label={t("invite.email")}
            rules={[{ required: true, type: "email", message: t("register.email.invalid") }]}
          >
            <Input type="email" autoComplete="off" />
          </Form.Item>
          <Form.Item name="role" label={t("invite.role")}>
            <Select options={roleOptions} data-testid="invite-role" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={invite.isPending} data-testid="invite-send">
            {t("invite.send")}
          </Button>
        </Form>
        {invite.error && <ErrorNotice error={invite.error} />}
        {invite.data && (
          <Alert
            className="invite-link"
            type="success"
            showIcon
            title={t("invite.link", { email: invite.data.email, role: app(`role.${invite.data.role}`) })}
            description={
              <Typography.Paragraph copyable className="invite-link-text" data-testid="invite-link">
                {invitationLink(invite.data.token)}
              </Typography.Paragraph>
            }
          />
        )}
      </Card>
      <Card title={t("members.title")} data-testid="members">
        {!!members.data?.length && <div className="list-tools-row">{memberTools.toolbar}</div>}
        {members.isPending && <Loading />}
        {members.error && <ErrorNotice error={members.error} />}
        {assign.error && <ErrorNotice error={assign.error} />}
        {members.data && (
          <Table<Member>
            rowKey="id"
            size="small"
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            dataSource={memberTools.shown}
            columns={[
              {
                title: t("members.name"),
                dataIndex: "full_name",
                // Names stay on one line on a phone; the table scrolls sideways instead.
                onHeaderCell: () => ({ style: { whiteSpace: "nowrap" } }),
                onCell: () => ({ style: { whiteSpace: "nowrap" } }),
                sorter: (a, b) => a.full_name.localeCompare(b.full_name),
              },
              { title: t("invite.emailColumn"), dataIndex: "email" },
              {
                title: t("members.role"),
                key: "role",
                filters: roleOptions.map((o) => ({ text: o.label, value: o.value })),
                onFilter: (value, m) => m.role === value,
                render: (_, m) =>
                  m.id === myId ? (
                    // Nobody changes their own role: another administrator does.
                    <span title={t("members.self")}>{app(`role.${m.role}`)}</span>
                  ) : (
                    <Select<Role>
                      aria-label={t("members.roleOf", { name: m.full_name })}
                      size="small"
                      value={m.role}
                      options={roleOptions}
                      style={{ minWidth: 140 }}
                      loading={assign.isPending && assign.variables?.memberId === m.id}
                      onChange={(role) =>
                        assign.mutate(
                          { memberId: m.id, role },
                          {
                            onSuccess: (saved) =>
                              void message.success(
                                t("members.assigned", {
                                  name: saved.full_name,
                                  role: app(`role.${saved.role}`),
                                }),
                              ),
                          },
                        )
                      }
                    />
                  ),
              },
              {
                title: t("members.since"),
                dataIndex: "created_at",
                sorter: sortBy((m) => m.created_at),
                render: (at: string) => formatBeijing(at),
              },
            ]}
          />
        )}
      </Card>
      <Card title={t("invite.list")}>
        {list.isPending && <Loading />}
        {list.error && <ErrorNotice error={list.error} />}
        {list.data && (
          <Table<Invitation>
            rowKey="id"
            size="small"
            scroll={{ x: true }}
            pagination={false}
            dataSource={list.data}
            columns={[
              { title: t("invite.emailColumn"), dataIndex: "email" },
              { title: t("members.role"), dataIndex: "role", render: (role: Role) => app(`role.${role}`) },
              {
                title: t("invite.expires"),
                dataIndex: "expires_at",
                render: (at: string) => formatBeijing(at).slice(0, 16),
              },
              { title: t("invite.state"), key: "state", render: (_, i) => state(i) },
            ]}
          />
        )}
      </Card>
    </section>
  );
}
