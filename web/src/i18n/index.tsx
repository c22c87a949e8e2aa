import i18next, { type TOptions } from "i18next";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { I18nextProvider } from "react-i18next";
import { en } from "./en";
import { zhCN, type MessageId, type Messages } from "./zh-CN";

export type Locale = "zh-CN" | "en";
export const LOCALES: readonly Locale[] = ["zh-CN", "en"];
/** Users are in Zhejiang: Chinese first, English beside it. */
export const DEFAULT_LOCALE: Locale = "zh-CN";
const LOCALE_KEY = "labshare.locale";

export const dictionaries = { "zh-CN": zhCN, en } as const;

export type MessageVars = Record<string, string | number>;

/**
 * The one i18next instance of the app. Message ids contain dots ("login.title"), so keys are
 * flat; placeholders are written `{name}`; plurals follow i18next's `_one` / `_other` suffixes
 * (Chinese needs only the plain key). Feature folders add their own namespace with
 * {@link registerText}.
 */
export const i18n = i18next.createInstance();
void i18n.init({
  resources: { "zh-CN": { app: zhCN }, en: { app: en } },
  lng: DEFAULT_LOCALE,
  fallbackLng: DEFAULT_LOCALE,
  supportedLngs: [...LOCALES],
  defaultNS: "app",
  ns: ["app"],
  keySeparator: false,
  nsSeparator: false,
  initAsync: false,
  returnNull: false,
  interpolation: {
    prefix: "{",
    suffix: "}",
    // React escapes what it renders; escaping here would show &amp; in text.
    escapeValue: false,
  },
  // An unknown placeholder stays visible rather than disappearing.
  missingInterpolationHandler: (_text: string, match: RegExpExecArray) => match[0],
});

/** Adds a feature's bilingual table ({id: [zh, en]}) as an i18next namespace. */
export function registerText(ns: string, table: Record<string, readonly [string, string]>): void {
  const zh: Record<string, string> = {};
  const english: Record<string, string> = {};
  for (const [id, [zhText, enText]] of Object.entries(table)) {
    zh[id] = zhText;
    english[id] = enText;
  }
  i18n.addResourceBundle("zh-CN", ns, zh, true, true);
  i18n.addResourceBundle("en", ns, english, true, true);
}

/**
 * A feature folder's bilingual table as its own namespace, with the three things every feature
 * needs from it: the lookup for a locale, the hook for components, and a check for ids built
 * from server values (enum names, rule numbers).
 */
export function featureText<Id extends string>(ns: string, table: Record<Id, readonly [string, string]>) {
  registerText(ns, table);
  const text = (locale: Locale | string, id: Id, vars?: MessageVars): string =>
    translate(locale, id, vars, ns);
  const has = (id: string): id is Id => Object.hasOwn(table, id);
  function useText() {
    const { locale } = useI18n();
    return (id: Id, vars?: MessageVars) => text(locale, id, vars);
  }
  return { text, has, useText };
}

/** Looks a message up in a namespace ("app" by default) and fills its {placeholders}. */
export function translate(locale: Locale | string, id: string, vars?: MessageVars, ns = "app"): string {
  return i18n.getFixedT(locale === "en" ? "en" : "zh-CN", ns)(id, vars as TOptions);
}

/** Whether a message id exists (for ids built from server values such as enum names). */
export function hasMessage(id: string, ns = "app"): boolean {
  return i18n.exists(id, { ns, lng: DEFAULT_LOCALE });
}

function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

export function storedLocale(): Locale {
  try {
    const value = window.localStorage.getItem(LOCALE_KEY);
    return isLocale(value) ? value : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

export interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: (id: MessageId, vars?: MessageVars) => string;
  /** Picks the name for the current locale from a zh/en pair; Chinese when English is missing. */
  pickName: (name: string, nameEn: string | null | undefined) => string;
  /** The other-language name of the pair, or null when it would repeat the first. */
  otherName: (name: string, nameEn: string | null | undefined) => string | null;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, initialLocale }: { children: ReactNode; initialLocale?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(() => initialLocale ?? storedLocale());

  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      window.localStorage.setItem(LOCALE_KEY, next);
    } catch {
      // Private browsing may refuse storage; the choice then lasts for this page only.
    }
  }, []);

  useEffect(() => {
    void i18n.changeLanguage(locale);
    document.documentElement.lang = locale;
    document.title = `${translate(locale, "app.name")} · ${translate(locale, "app.tagline")}`;
  }, [locale]);

  const value = useMemo<I18n>(() => {
    const fixed = i18n.getFixedT(locale, "app");
    const pickName = (name: string, nameEn: string | null | undefined) =>
      locale === "en" && nameEn ? nameEn : name;
    return {
      locale,
      setLocale,
      t: (id, vars) => fixed(id, vars as TOptions),
      pickName,
      otherName: (name, nameEn) => {
        const other = locale === "en" ? name : nameEn;
        return other && other !== pickName(name, nameEn) ? other : null;
      },
    };
  }, [locale, setLocale]);

  return (
    <I18nextProvider i18n={i18n}>
      <I18nContext.Provider value={value}>{children}</I18nContext.Provider>
    </I18nextProvider>
  );
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n() needs an <I18nProvider> above it");
  return value;
}

export type { MessageId, Messages };
