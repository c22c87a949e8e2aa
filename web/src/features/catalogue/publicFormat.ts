import { formatLocalMinute } from "../../i18n/problems";
import { DISPLAY_TIME_ZONE } from "../../lib/format";

const WEEKDAYS_ZH = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
const WEEKDAYS_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function weekdayIn(iso: string, timeZone: string): number {
  const name = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short" }).format(new Date(iso));
  return WEEKDAYS_EN.indexOf(name);
}

/** A free period in the instrument's wall time: "12-03 周四 08:30–17:30" (or "Thu 12-03 ..."),
 *  with the end's date too when it falls on another day. */
export function slotLabel(
  start: string,
  end: string,
  locale: string,
  timeZone: string = DISPLAY_TIME_ZONE,
): string {
  const from = formatLocalMinute(start, timeZone);
  const to = formatLocalMinute(end, timeZone);
  const day = weekdayIn(start, timeZone);
  const weekday = (locale === "en" ? WEEKDAYS_EN : WEEKDAYS_ZH)[day] ?? "";
  const date = from.slice(5, 10);
  const head = locale === "en" ? `${weekday} ${date}` : `${date} ${weekday}`;
  const until = to.slice(0, 10) === from.slice(0, 10) ? to.slice(11) : to.slice(5);
  return `${head} ${from.slice(11)}–${until}`;
}

/** "08:30:00" -> "08:30"; a period closing at 00:00 closes at the end of the day ("24:00"). */
export function clock(value: string, closing = false): string {
  const hhmm = value.slice(0, 5);
  return closing && hhmm === "00:00" ? "24:00" : hhmm;
}

/** A published fee as the server wrote it (exact decimal string), never through a float. */
export function yuan(amount: string): string {
  const [whole = "0", fraction = ""] = amount.split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${fraction.padEnd(2, "0").slice(0, 2)}`;
}
