import { StyleProvider } from "@ant-design/cssinjs";
import { App as AntApp, ConfigProvider, theme } from "antd";
// Zero-runtime styles: the server's Content-Security-Policy (style-src 'self') refuses the
// <style> elements Ant Design would otherwise inject, so its prebuilt stylesheet is bundled.
import "antd/dist/antd.css";
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
 * the language toggle. Its styles are the prebuilt stylesheet (zero runtime), so the product
 * colour is set as a CSS variable in styles.css, not as a theme token.
 */
export function AntdProvider({ children }: { children: ReactNode }) {
  const { locale } = useI18n();
  useEffect(() => {
    dayjs.locale(locale === "en" ? "en" : "zh-cn");
  }, [locale]);
  return (
    // mock="server": the style engine never writes <style> elements into the page (the CSP
    // would refuse them); everything it would write is in antd/dist/antd.css.
    <StyleProvider mock="server">
      <ConfigProvider
        locale={locale === "en" ? enUS : zhCN}
        // "登录" stays one word (Ant Design would space two-character labels as "登 录").
        button={{ autoInsertSpace: false }}
        theme={{
          algorithm: theme.defaultAlgorithm,
          zeroRuntime: true,
          // The prebuilt stylesheet scopes its variables to this class.
          cssVar: { key: "css-var-_R_0_" },
        }}
      >
        <AntApp>{children}</AntApp>
      </ConfigProvider>
    </StyleProvider>
  );
}
