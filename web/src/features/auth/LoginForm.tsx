import { useMutation } from "@tanstack/react-query";
import { Alert, Button, Form, Input } from "antd";
import { ApiError, useApi } from "../../api";
import { useI18n } from "../../i18n";
import { describeError } from "../../i18n/problems";

/** The demo users seeded by `labshare-server seed-demo`. */
export const DEMO_ACCOUNTS = [
  "manager@zjim.demo",
  "staff@zjim.demo",
  "manager@zju.demo",
  "buyer@jingce.demo",
  "admin@platform.demo",
] as const;
export const DEMO_PASSWORD = "labshare-demo";

export interface LoginFormProps {
  onSuccess: () => void;
  /** Show the demo accounts under the form (development servers only). */
  showDemoAccounts?: boolean;
}

interface Credentials {
  email: string;
  password: string;
}

export function LoginForm({ onSuccess, showDemoAccounts = false }: LoginFormProps) {
  const api = useApi();
  const { t, locale } = useI18n();
  const [form] = Form.useForm<Credentials>();

  const login = useMutation({
    mutationFn: (credentials: Credentials) => api.login(credentials.email, credentials.password),
    onSuccess,
  });

  // Wrong credentials are the log-in's own 401; anything else (a lock-out, a server down) is
  // described from the problem, in the reader's language.
  const wrongCredentials = login.error instanceof ApiError && login.error.status === 401;
  const { title: errorTitle, details } = wrongCredentials
    ? { title: t("login.failed"), details: [t("login.wrongCredentials")] }
    : describeError(login.error, locale);

  return (
    <Form<Credentials>
      form={form}
      name="login"
      layout="vertical"
      className="login-form"
      requiredMark={false}
      onFinish={(values) => login.mutate({ email: values.email.trim(), password: values.password })}
    >
      <Form.Item
        label={t("login.email")}
        name="email"
        rules={[{ required: true, type: "email", message: t("login.emailInvalid") }]}
      >
        <Input type="email" autoComplete="username" />
      </Form.Item>
      <Form.Item
        label={t("login.password")}
        name="password"
        rules={[{ required: true, message: t("login.passwordRequired") }]}
      >
        <Input.Password autoComplete="current-password" />
      </Form.Item>
      {login.isError && (
        <Alert
          type="error"
          showIcon
          className="form-alert"
          title={errorTitle}
          description={details.length ? details.join(" ") : undefined}
        />
      )}
      <Button type="primary" htmlType="submit" block loading={login.isPending}>
        {login.isPending ? t("login.submitting") : t("login.submit")}
      </Button>
      {showDemoAccounts && (
        <div className="demo-hint">
          <p>{t("login.demoHint", { password: DEMO_PASSWORD })}</p>
          <ul>
            {DEMO_ACCOUNTS.map((account) => (
              <li key={account}>
                <Button
                  type="link"
                  size="small"
                  onClick={() => form.setFieldsValue({ email: account, password: DEMO_PASSWORD })}
                >
                  {account}
                </Button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Form>
  );
}
