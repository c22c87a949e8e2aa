import { Button, Card, Form, Input, Result, Space, Typography } from "antd";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ErrorNotice } from "../../components/ErrorNotice";
import { safeNextPath } from "../auth";
import { type Registration, useRegister } from "./api";
import { isValidCreditCode, normaliseCreditCode } from "./creditCode";
import { useRegistrationText } from "./text";

interface Fields {
  company_name: string;
  credit_code: string;
  city?: string;
  contact_name: string;
  email: string;
  phone?: string;
  password: string;
  confirm: string;
}

/** An enterprise applies for an account; it can log in once a platform admin approves it. */
export function RegisterPage() {
  const t = useRegistrationText();
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next"));
  const register = useRegister();
  const [done, setDone] = useState<Registration | null>(null);
  const [form] = Form.useForm<Fields>();
  const required = (field: string) => ({
    required: true,
    whitespace: true,
    message: t("register.required", { field }),
  });
  const loginLink = `/login?next=${encodeURIComponent(next)}`;

  if (done) {
    return (
      <section className="page register-page">
        <Result
          status="success"
          title={t("register.done.title")}
          subTitle={
            <span data-testid="register-done">
              {t("register.done.detail", { company: done.company_name, email: done.email })}
            </span>
          }
          extra={
            <Space wrap>
              <Link to={loginLink}>
                <Button type="primary">{t("register.toLogin")}</Button>
              </Link>
              <Link to="/catalogue">
                <Button>{t("register.toCatalogue")}</Button>
              </Link>
            </Space>
          }
        />
      </section>
    );
  }

  return (
    <section className="page register-page">
      <Card className="register-card">
        <Typography.Title level={1} className="page-title">
          {t("register.title")}
        </Typography.Title>
        <p className="muted">{t("register.subtitle")}</p>
        <Form<Fields>
          form={form}
          layout="vertical"
          requiredMark
          onFinish={(values) => {
            register.mutate(
              {
                company_name: values.company_name.trim(),
                credit_code: normaliseCreditCode(values.credit_code),
                city: values.city?.trim() || null,
                contact_name: values.contact_name.trim(),
                email: values.email.trim(),
                phone: values.phone?.trim() || null,
                password: values.password,
              },
              { onSuccess: setDone },
            );
          }}
        >
          <Form.Item
            name="company_name"
            label={t("register.company")}
            rules={[required(t("register.company"))]}
          >
            <Input id="register-company" autoComplete="organization" maxLength={200} />
          </Form.Item>
          <Form.Item
            name="credit_code"
            label={t("register.creditCode")}
            extra={t("register.creditCode.help")}
            validateTrigger="onBlur"
            rules={[
              required(t("register.creditCode")),
              {
                validator: (_, value: string | undefined) =>
                  !value || isValidCreditCode(value)
                    ? Promise.resolve()
                    : Promise.reject(new Error(t("register.creditCode.invalid"))),
              },
            ]}
          >
            <Input
              id="register-credit-code"
              maxLength={18}
              style={{ textTransform: "uppercase" }}
              autoComplete="off"
            />
          </Form.Item>
          <Form.Item name="city" label={t("register.city")}>
            <Input id="register-city" autoComplete="address-level2" maxLength={100} />
          </Form.Item>
          <Form.Item
            name="contact_name"
            label={t("register.contact")}
            rules={[required(t("register.contact"))]}
          >
            <Input id="register-contact" autoComplete="name" maxLength={200} />
          </Form.Item>
          <Form.Item
            name="email"
            label={t("register.email")}
            rules={[required(t("register.email")), { type: "email", message: t("register.email.invalid") }]}
          >
            <Input id="register-email" type="email" autoComplete="email" maxLength={254} />
          </Form.Item>
          <Form.Item name="phone" label={t("register.phone")}>
            <Input id="register-phone" type="tel" autoComplete="tel" maxLength={40} />
          </Form.Item>
          <Form.Item
            name="password"
            label={t("register.password")}
            rules={[required(t("register.password")), { min: 8, message: t("register.password.short") }]}
          >
            <Input.Password id="register-password" autoComplete="new-password" />
          </Form.Item>
          <Form.Item
            name="confirm"
            label={t("register.confirm")}
            dependencies={["password"]}
            rules={[
              required(t("register.confirm")),
              ({ getFieldValue }) => ({
                validator: (_, value: string | undefined) =>
                  !value || value === getFieldValue("password")
                    ? Promise.resolve()
                    : Promise.reject(new Error(t("register.confirm.mismatch"))),
              }),
            ]}
          >
            <Input.Password id="register-confirm" autoComplete="new-password" />
          </Form.Item>
          {register.error && <ErrorNotice error={register.error} />}
          <Space wrap className="register-actions">
            <Button
              type="primary"
              htmlType="submit"
              loading={register.isPending}
              data-testid="register-submit"
            >
              {t("register.submit")}
            </Button>
            <Link to={loginLink}>{t("register.haveAccount")}</Link>
          </Space>
        </Form>
      </Card>
    </section>
  );
}
