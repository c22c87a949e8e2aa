import { DatePicker, type DatePickerProps } from "antd";
import type { Dayjs } from "dayjs";
import { registerText, translate, useI18n } from "../i18n";

const TEXT = {
  "picker.minute": ["请选择日期时间", "Select date and time"],
} as const;
registerText("picker", TEXT);

/** A picker of one value (not a range, not several). */
export type SinglePickerProps = Omit<DatePickerProps, "value" | "defaultValue" | "onChange" | "multiple"> & {
  value?: Dayjs | null;
  onChange?: (value: Dayjs | null) => void;
};

/**
 * Enter confirms the date typed into the picker; it does not also submit the form around it
 * (a half-filled record would be sent). The typed value is taken before this runs.
 */
function keepEnter(onKeyDown: SinglePickerProps["onKeyDown"]): SinglePickerProps["onKeyDown"] {
  return (event, preventDefault) => {
    if (event.key === "Enter") event.preventDefault();
    onKeyDown?.(event, preventDefault);
  };
}

/** The format a minute picker shows and accepts when typed: 2026-01-05 10:00. */
export const MINUTE_FORMAT = "YYYY-MM-DD HH:mm";

/**
 * A Beijing wall time to the minute, picked or typed as "2026-01-05 10:00" (Ant Design's
 * picker, so its texts follow the language toggle: never the browser's English mm/dd/yyyy).
 * Turn the value into the API's instant with `pickedToIso`.
 */
export function MinutePicker(props: SinglePickerProps) {
  const { locale } = useI18n();
  return (
    <DatePicker
      showTime={{ format: "HH:mm" }}
      placeholder={translate(locale, "picker.minute", undefined, "picker")}
      format={MINUTE_FORMAT}
      needConfirm={false}
      style={{ width: "100%" }}
      {...props}
      onKeyDown={keepEnter(props.onKeyDown)}
    />
  );
}

/** A day, picked or typed as "2026-01-05"; `pickedDay` gives the API's date. */
export function DayPicker(props: SinglePickerProps) {
  return (
    <DatePicker
      format="YYYY-MM-DD"
      style={{ width: "100%" }}
      {...props}
      onKeyDown={keepEnter(props.onKeyDown)}
    />
  );
}
