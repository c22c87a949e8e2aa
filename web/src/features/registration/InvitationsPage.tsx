import { Alert, Button, Card, Form, Input, Result, Table, Tag, Typography } from "antd";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useCurrentUser } from "../auth";
import { formatBeijing } from "../calibration";
import { type Invitation, useInvitations, useInvite } from "./api";
import { useRegistrationText } from "./text";

/** The link a colleague opens to join; the server keeps only the token's hash. */
export function invitationLink(token: string, origin: string = window.location.origin): string {
  return `${origin}/invite/${encodeURIComponent(token)}`;
}

/** An enterprise admin invites colleagues by link. */
export function InvitationsPage() {
  const t = useRegistrationText();
  const me = useCurrentUser();
  if (me.isPending) return <Loading />;
  if (me.data?.role !== "enterprise_admin") return <Result status="403" title={t("invite.forbidden")} />;
  return <Invitations />;
}

function Invitations() {
  const t = useRegistrationText();
  const list = useInvitations();
  const invite = useInvite();
  const [form] = Form.useForm<{ email: string }>();
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
          onFinish={({ email }) => invite.mutate(email.trim(), { onSuccess: () => form.resetFields() })}
        >
          <Form.Item
            name="email"
            label={t("invite.email")}
            rules={[{ required: true, type: "email", message: t("register.email.invalid") }]}
          >
            <Input id="invite-email" type="email" autoComplete="off" />
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
            message={t("invite.link", { email: invite.data.email })}
            description={
              <Typography.Paragraph copyable className="invite-link-text" data-testid="invite-link">
                {invitationLink(invite.data.token)}
              </Typography.Paragraph>
            }
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
              { title: t("invite.email"), dataIndex: "email" },
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
