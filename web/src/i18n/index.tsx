import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { en } from "./en";
import { zhCN, type MessageId, type Messages } from "./zh-CN";

export type Locale = "zh-CN" | "en";
export const LOCALES: readonly Locale[] = ["zh-CN", "en"];
/** Users are in Zhejiang: Chinese first, English beside it. */
export const DEFAULT_LOCALE: Locale = "zh-CN";
const LOCALE_KEY = "labshare.locale";

export const dictionaries: Record<Locale, Messages> = { "zh-CN": zhCN, en };

export type MessageVars = Record<string, string | number>;

/** Looks a message up and fills its {placeholders}; an unknown placeholder is left visible. */
export function translate(locale: Locale, id: MessageId, vars?: MessageVars): string {
  const template = dictionaries[locale][id];
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
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
    document.documentElement.lang = locale;
    document.title = `${translate(locale, "app.name")} · ${translate(locale, "app.tagline")}`;
  }, [locale]);

  const value = useMemo<I18n>(() => {
    const pickName = (name: string, nameEn: string | null | undefined) =>
      locale === "en" && nameEn ? nameEn : name;
    return {
      locale,
      setLocale,
      t: (id, vars) => translate(locale, id, vars),
      pickName,
      otherName: (name, nameEn) => {
        const other = locale === "en" ? name : nameEn;
        return other && other !== pickName(name, nameEn) ? other : null;
      },
    };
  }, [locale, setLocale]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n() needs an <I18nProvider> above it");
  return value;
}

export type { MessageId, Messages };
