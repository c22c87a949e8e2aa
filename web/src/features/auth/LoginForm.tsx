import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
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

export function LoginForm({ onSuccess, showDemoAccounts = false }: LoginFormProps) {
  const api = useApi();
  const { t, locale } = useI18n();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  const login = useMutation({
    mutationFn: (credentials: { email: string; password: string }) =>
      api.login(credentials.email, credentials.password),
    onSuccess,
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    login.mutate({ email: email.trim(), password });
  };

  // Wrong credentials are the log-in's own 401; anything else (a lock-out, a server down) is
  // described from the problem, in the reader's language.
  const wrongCredentials = login.error instanceof ApiError && login.error.status === 401;
  const { title: errorTitle, details } = wrongCredentials
    ? { title: t("login.failed"), details: [t("login.wrongCredentials")] }
    : describeError(login.error, locale);
  const errorText = details.join(" ");

  return (
    <form className="login-form" onSubmit={submit} noValidate={false}>
      <label className="field">
        <span>{t("login.email")}</span>
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
      </label>
      <label className="field">
        <span>{t("login.password")}</span>
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </label>
      {login.isError && (
        <div className="alert alert-error" role="alert">
          <strong>{errorTitle}</strong>
          {errorText && errorText !== errorTitle && <div>{errorText}</div>}
        </div>
      )}
      <button type="submit" className="btn btn-primary" disabled={login.isPending}>
        {login.isPending ? t("login.submitting") : t("login.submit")}
      </button>
      {showDemoAccounts && (
        <div className="demo-hint">
          <p>{t("login.demoHint", { password: DEMO_PASSWORD })}</p>
          <ul>
            {DEMO_ACCOUNTS.map((account) => (
              <li key={account}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setEmail(account);
                    setPassword(DEMO_PASSWORD);
                  }}
                >
                  {account}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
