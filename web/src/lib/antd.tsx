import { App as AntApp, ConfigProvider, theme } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import timezone from "dayjs/plugin/timezone";
import utc from "dayjs/plugin/utc";
import { useEffect, type ReactNode } from "react";
import { useI18n } from "../i18n";
import { DISPLAY_TIME_ZONE } from "./format";

dayjs.extend(utc);
dayjs.extend(timezone);
// Date pickers show and pick Beijing wall time whatever the browser's own zone is.
dayjs.tz.setDefault(DISPLAY_TIME_ZONE);

/** A dayjs in the users' time zone (Asia/Shanghai, or the zone the API names). */
export function localDayjs(instant: string | number | Date, zone: string = DISPLAY_TIME_ZONE): dayjs.Dayjs {
  return dayjs(instant).tz(zone);
}

/**
 * Ant Design around the app: its own texts (date pickers, pagination, confirmations) follow
 * the language toggle, and the theme carries the product's colours.
 */
export function AntdProvider({ children }: { children: ReactNode }) {
  const { locale } = useI18n();
  useEffect(() => {
    dayjs.locale(locale === "en" ? "en" : "zh-cn");
  }, [locale]);
  return (
    <ConfigProvider
      locale={locale === "en" ? enUS : zhCN}
      // "登录" stays one word (Ant Design would space two-character labels as "登 录").
      button={{ autoInsertSpace: false }}
      theme={{
        algorithm: theme.defaultAlgorithm,
        token: { colorPrimary: "#0f5f8c", borderRadius: 6, fontFamily: "inherit" },
      }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}
