import { Button, Card, Form, Input, Result, Typography } from "antd";
import { Link } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { useAcceptInvitation, useInvitation } from "./api";
import { useRegistrationText } from "./text";

/** A colleague opens the invitation link, sets a name and password, and joins the enterprise. */
export function AcceptInvitationPage({ token }: { token: string }) {
  const t = useRegistrationText();
  const { pickName } = useI18n();
  const invitation = useInvitation(token);
  const accept = useAcceptInvitation(token);
  if (invitation.isPending) return <Loading />;
  if (invitation.error) {
    return (
      <section className="page register-page">
        <ErrorNotice error={invitation.error} />
      </section>
    );
  }
  const company = pickName(invitation.data.organisation_name, invitation.data.organisation_name_en);
  if (accept.data) {
    return (
      <section className="page register-page">
        <Result
          status="success"
          title={t("accept.done")}
          extra={
            <Link to="/login">
              <Button type="primary">{t("register.toLogin")}</Button>
            </Link>
          }
        />
      </section>
    );
  }
  return (
    <section className="page register-page">
      <Card className="register-card">
        <Typography.Title level={1} className="page-title">
          {t("accept.title", { company })}
        </Typography.Title>
        <p className="muted">{t("accept.subtitle", { email: invitation.data.email })}</p>
        <Form<{ full_name: string; password: string }>
          layout="vertical"
          onFinish={(values) =>
            accept.mutate({ full_name: values.full_name.trim(), password: values.password })
          }
        >
          <Form.Item
            name="full_name"
            label={t("accept.name")}
            rules={[
              {
                required: true,
                whitespace: true,
                message: t("register.required", { field: t("accept.name") }),
              },
            ]}
          >
            <Input id="accept-name" autoComplete="name" maxLength={200} />
          </Form.Item>
          <Form.Item
            name="password"
            label={t("register.password")}
            rules={[
              { required: true, message: t("register.required", { field: t("register.password") }) },
              { min: 8, message: t("register.password.short") },
            ]}
          >
            <Input.Password id="accept-password" autoComplete="new-password" />
          </Form.Item>
          {accept.error && <ErrorNotice error={accept.error} />}
          <Button type="primary" htmlType="submit" loading={accept.isPending}>
            {t("accept.submit")}
          </Button>
        </Form>
      </Card>
    </section>
  );
}
