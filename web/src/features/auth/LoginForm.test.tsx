import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { FakeServer, json, problem } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import { LoginForm } from "./LoginForm";

const TOKEN = "/api/v1/auth/token";

async function fillAndSubmit(email: string, password: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("邮箱"), email);
  await user.type(screen.getByLabelText("密码"), password);
  await user.click(screen.getByRole("button", { name: "登录" }));
}

describe("LoginForm", () => {
  it("says in Chinese that the email or password is wrong when the credentials are rejected", async () => {
    const server = new FakeServer().on(
      `POST ${TOKEN}`,
      problem(401, "Unauthorized", "Incorrect email or password"),
    );
    const onSuccess = vi.fn();
    const { tokens } = renderWithApp(<LoginForm onSuccess={onSuccess} />, { server });

    await fillAndSubmit("manager@zjim.demo", "wrong");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("登录失败");
    expect(alert).toHaveTextContent("邮箱或密码不正确");
    expect(alert).not.toHaveTextContent("Incorrect");
    expect(onSuccess).not.toHaveBeenCalled();
    expect(tokens.get()).toBeNull();
    // The form stays usable for another try.
    expect(screen.getByRole("button", { name: "登录" })).toBeEnabled();
  });

  const throttled = (retryAfter: number) => () =>
    new Response(
      JSON.stringify({
        type: "/problems/too-many-login-attempts",
        title: "Too many log-in attempts",
        status: 429,
        detail: `Too many failed log-ins; try again in ${retryAfter} s`,
        code: "login_throttled",
        retry_after_s: retryAfter,
      }),
      {
        status: 429,
        headers: { "Content-Type": "application/problem+json", "Retry-After": String(retryAfter) },
      },
    );

  it("tells a locked-out user in Chinese when to try again", async () => {
    const server = new FakeServer().on(`POST ${TOKEN}`, throttled(42));
    const onSuccess = vi.fn();
    renderWithApp(<LoginForm onSuccess={onSuccess} />, { server });

    await fillAndSubmit("manager@zjim.demo", "labshare-demo");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("登录失败次数过多");
    expect(alert).toHaveTextContent("请在 42 秒后重试");
    expect(alert).not.toHaveTextContent("Too many");
    expect(onSuccess).not.toHaveBeenCalled();
  });

  it("tells a locked-out user in English, in minutes for long lock-outs", async () => {
    const server = new FakeServer().on(`POST ${TOKEN}`, throttled(1800));
    renderWithApp(<LoginForm onSuccess={() => {}} />, { server, locale: "en" });

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "manager@zjim.demo");
    await user.type(screen.getByLabelText("Password"), "labshare-demo");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Too many failed sign-ins");
    expect(alert).toHaveTextContent("Try again in 30 minutes.");
  });

  it("posts the credentials form-encoded and keeps the token", async () => {
    const server = new FakeServer().on(`POST ${TOKEN}`, () =>
      json({ access_token: "jwt-abc", token_type: "bearer", expires_in: 3600 }),
    );
    const onSuccess = vi.fn();
    const { tokens } = renderWithApp(<LoginForm onSuccess={onSuccess} />, { server });

    await fillAndSubmit("  manager@zjim.demo ", "labshare-demo");

    await vi.waitFor(() => expect(onSuccess).toHaveBeenCalledOnce());
    const request = server.requestsTo(TOKEN)[0]!;
    expect(request.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(request.body ?? "");
    expect(form.get("username")).toBe("manager@zjim.demo");
    expect(form.get("password")).toBe("labshare-demo");
    expect(tokens.get()).toBe("jwt-abc");
  });

  it("hides the demo accounts unless the server is in development", () => {
    renderWithApp(<LoginForm onSuccess={() => {}} />);
    expect(screen.queryByText("buyer@jingce.demo")).not.toBeInTheDocument();
  });

  it("fills the form from a demo account", async () => {
    const user = userEvent.setup();
    renderWithApp(<LoginForm onSuccess={() => {}} showDemoAccounts />);
    await user.click(screen.getByRole("button", { name: "buyer@jingce.demo" }));
    expect(screen.getByLabelText("邮箱")).toHaveValue("buyer@jingce.demo");
    expect(screen.getByLabelText("密码")).toHaveValue("labshare-demo");
  });
});
