import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { LanguageToggle } from "../components/LanguageToggle";
import { en } from "./en";
import { I18nProvider, translate, useI18n } from "./index";
import { zhCN } from "./zh-CN";

function Probe() {
  const { t, locale, pickName, otherName } = useI18n();
  return (
    <div>
      <p data-testid="title">{t("instruments.title")}</p>
      <p data-testid="count">{t("instruments.count", { count: 3 })}</p>
      <p data-testid="name">{pickName("高低温试验箱", "Temperature chamber")}</p>
      <p data-testid="other">{otherName("高低温试验箱", "Temperature chamber")}</p>
      <p data-testid="locale">{locale}</p>
      <LanguageToggle />
    </div>
  );
}

describe("i18n", () => {
  it("speaks Chinese by default", () => {
    render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByTestId("title")).toHaveTextContent("仪器看板");
    expect(screen.getByTestId("count")).toHaveTextContent("共 3 台仪器");
    expect(screen.getByTestId("name")).toHaveTextContent("高低温试验箱");
    expect(screen.getByTestId("other")).toHaveTextContent("Temperature chamber");
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("switches to English from the header toggle and remembers the choice", async () => {
    const user = userEvent.setup();
    const first = render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    await user.click(screen.getByRole("button", { name: "Switch to English" }));

    expect(screen.getByTestId("title")).toHaveTextContent("Instrument board");
    expect(screen.getByTestId("count")).toHaveTextContent("3 instruments");
    expect(screen.getByTestId("name")).toHaveTextContent("Temperature chamber");
    expect(screen.getByTestId("other")).toHaveTextContent("高低温试验箱");
    expect(document.documentElement.lang).toBe("en");
    expect(document.title).toBe("labshare · Shared research instruments");
    expect(window.localStorage.getItem("labshare.locale")).toBe("en");

    // A new page load starts in the remembered language.
    first.unmount();
    render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByTestId("locale")).toHaveTextContent("en");
    await user.click(screen.getByRole("button", { name: "切换到中文" }));
    expect(screen.getByTestId("title")).toHaveTextContent("仪器看板");
  });

  it("ignores an unknown stored language", () => {
    window.localStorage.setItem("labshare.locale", "fr");
    render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByTestId("locale")).toHaveTextContent("zh-CN");
  });

  it("falls back to the Chinese name when an English one is missing", () => {
    render(
      <I18nProvider initialLocale="en">
        <NameOnly />
      </I18nProvider>,
    );
    expect(screen.getByTestId("name")).toHaveTextContent("热工实验室");
  });

  it("has an English text for every Chinese message and no empty ones", () => {
    const singulars = (id: string) => !id.endsWith("_one");
    expect(Object.keys(en).filter(singulars).sort()).toEqual(Object.keys(zhCN).sort());
    for (const [id, text] of Object.entries(en)) expect(text, id).not.toBe("");
  });

  it("picks English plural forms, which Chinese does not need", () => {
    expect(translate("en", "instruments.count", { count: 1 })).toBe("1 instrument");
    expect(translate("en", "instruments.count", { count: 2 })).toBe("2 instruments");
    expect(translate("zh-CN", "instruments.count", { count: 1 })).toBe("共 1 台仪器");
  });

  it("leaves unknown placeholders visible rather than printing undefined", () => {
    expect(translate("en", "login.demoHint", {})).toContain("{password}");
    expect(translate("zh-CN", "login.demoHint", { password: "labshare-demo" })).toContain("labshare-demo");
  });
});

function NameOnly() {
  const { pickName } = useI18n();
  return <p data-testid="name">{pickName("热工实验室", null)}</p>;
}
