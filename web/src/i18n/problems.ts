import { ApiError, type Problem } from "../api";
import { DISPLAY_TIME_ZONE } from "../lib/format";
import { registerText, translate, type Locale } from "./index";

/**
 * Server problems in the reader's language. The server's title and detail are English; the app
 * recognises a problem by its stable `code` (or `type` slug), its extension members (reason,
 * period, conflicting_slots, retry_after_s) and, for 422s, the field errors, and says it in
 * its own words with times in local time. Anything it does not recognise is named by status.
 */
const TEXT = {
  "title.network": ["无法连接服务器", "Cannot reach the server"],
  "title.400": ["请求有误", "Bad request"],
  "title.401": ["需要登录", "Please log in"],
  "title.403": ["无权执行此操作", "You may not do this"],
  "title.404": ["未找到", "Not found"],
  "title.409": ["与当前状态冲突", "This clashes with the current state"],
  "title.413": ["内容过大", "Too large"],
  "title.422": ["请检查填写内容", "Please check the form"],
  "title.429": ["请求过于频繁", "Too many requests"],
  "title.5xx": ["服务器暂时不可用，请稍后重试", "The server is unavailable; try again shortly"],
  "title.other": ["操作失败", "Something went wrong"],
  "login_throttled.title": ["登录失败次数过多", "Too many failed sign-ins"],
  "login_throttled.seconds": [
    "为保护账号安全，登录已暂停，请在 {seconds} 秒后重试。",
    "For your account's safety, sign-in is paused. Try again in {seconds} seconds.",
  ],
  "login_throttled.minutes": [
    "为保护账号安全，登录已暂停，请在 {minutes} 分钟后重试。",
    "For your account's safety, sign-in is paused. Try again in {minutes} minutes.",
  ],
  "booking-conflict.title": ["该时段已被预约", "The slot is already booked"],
  "booking-conflict.detail": ["与已有预约冲突：{slots}", "It overlaps an existing booking: {slots}"],
  "instrument-unusable.title": ["该时段仪器不可用", "The instrument cannot be used then"],
  "instrument-unusable.blackout": ["实验室在此期间闭馆", "The lab is closed then"],
  "instrument-unusable.calibration_expired": ["仪器校准已过期", "The instrument's calibration has expired"],
  "instrument-unusable.not_calibrated": ["仪器尚未校准", "The instrument is not calibrated"],
  "instrument-unusable.out_of_service": ["仪器已停用", "The instrument is out of service"],
  "instrument-unusable.maintenance": ["仪器维护中", "The instrument is under maintenance"],
  "instrument-unusable.other": ["仪器此时不可用", "The instrument is unavailable then"],
  "instrument-unusable.from": ["（自 {from} 起）", " (from {from})"],
  "booking_approval_unusable.title": [
    "无法批准：仪器在预约时段不可用",
    "Cannot approve: the instrument cannot be used at the booked time",
  ],
  "quota-exceeded.title": ["超出预约配额", "Booking quota exceeded"],
  "quota-exceeded.week": [
    "贵单位在该仪器上每周可预约 {hours} 小时，已预约 {used} 分钟。",
    "Your organisation may book {hours} h per week on this instrument; {used} min are booked.",
  ],
  "quota-exceeded.month": [
    "贵单位在该仪器上每月可预约 {hours} 小时，已预约 {used} 分钟。",
    "Your organisation may book {hours} h per month on this instrument; {used} min are booked.",
  ],
  "reschedule_too_late.title": ["已来不及改期", "Too late to reschedule"],
  "reschedule_too_late.detail": [
    "开始前 {hours} 小时内不能改期，如需变更请取消预约（可能产生逾期取消费）。",
    "Within {hours} h of the start a booking cannot be moved; cancel it instead (a late-cancellation charge may apply).",
  ],
  "credit_code_invalid.title": ["统一社会信用代码无效", "The unified social credit code is not valid"],
  "credit_code_invalid.detail": [
    "请核对营业执照上的 18 位代码：末位校验码与前 17 位不符（GB 32100-2015）。",
    "Check the 18-character code on the business licence: its last (check) character does not match the first 17 (GB 32100-2015).",
  ],
  "credit_code_taken.title": ["该企业已注册", "This enterprise is already registered"],
  "credit_code_taken.detail": [
    "此统一社会信用代码已有注册申请或账号，请联系贵单位管理员邀请您加入。",
    "This credit code already has an application or an account; ask your company's administrator to invite you.",
  ],
  "email_taken.title": ["该邮箱已被使用", "This e-mail address is already in use"],
  "email_taken.detail": ["请直接登录，或换一个邮箱。", "Log in instead, or use another address."],
  "email_invalid.title": ["邮箱格式不正确", "This is not an e-mail address"],
  "email_invalid.detail": [
    "请填写形如 name@example.com 的邮箱。",
    "Enter an address such as name@example.com.",
  ],
  "password_too_short.title": ["密码太短", "The password is too short"],
  "password_too_short.detail": ["密码至少 8 个字符。", "Use at least 8 characters."],
  "registration_decided.title": ["该申请已处理", "This application was already decided"],
  "registration_decided.detail": ["请刷新列表查看最新状态。", "Reload the list to see its current state."],
  "alarm_already_acknowledged.title": ["该报警已被确认", "This alarm was already acknowledged"],
  "alarm_already_acknowledged.detail": [
    "其他人已确认了这条报警，看板刷新后可看到确认人和备注。",
    "Someone else acknowledged it; the board shows who and their note once it refreshes.",
  ],
  "alarm_not_raised.title": ["该报警已解除", "This alarm has cleared"],
  "alarm_not_raised.detail": [
    "报警条件已不存在，无需确认。",
    "The condition that raised it is gone, so there is nothing to acknowledge.",
  ],
  "invitation_invalid.title": ["邀请链接无效", "This invitation is not valid"],
  "invitation_invalid.detail": [
    "链接不存在、已使用或已过期，请联系邀请人重新发送。",
    "The link is unknown, used or expired; ask the person who invited you for a new one.",
  ],
  "own_role.title": ["不能调整自己的角色", "You cannot change your own role"],
  "own_role.detail": ["请由本单位的其他管理员调整。", "Ask another administrator of your organisation."],
  "role_not_assignable.title": ["不能授予该角色", "This role cannot be given here"],
  "role_not_assignable.detail": [
    "只能授予本单位类型的角色：企业为企业用户或企业管理员，机构为实验室人员或实验室主管。",
    "Only roles of your kind of organisation: enterprise user or admin for an enterprise, lab staff or manager for an institution.",
  ],
  "not_organisation_admin.title": [
    "仅单位管理员可操作",
    "Only your organisation's administrator can do this",
  ],
  "not_organisation_admin.detail": [
    "邀请成员和调整角色由企业管理员或实验室主管完成。",
    "Enterprise admins and lab managers invite users and assign roles.",
  ],
  "import_not_xlsx.title": ["文件不是 XLSX 工作簿", "The file is not an XLSX workbook"],
  "import_not_xlsx.detail": [
    "请上传按导入模板填写的 .xlsx 文件；.xls 或 CSV 文件请先另存为 .xlsx。",
    "Upload the filled template as .xlsx; save .xls or CSV files as .xlsx first.",
  ],
  "import_too_large.title": ["文件过大", "The file is too large"],
  "import_too_large.detail": [
    "导入文件不超过 5 MiB，请拆分后分批导入。",
    "Import files are limited to 5 MiB; split the sheet.",
  ],
  "import_missing_columns.title": ["缺少必填列", "Required columns are missing"],
  "import_missing_columns.detail": [
    "请使用导入模板：第一行须为模板的中文表头。",
    "Use the import template: its Chinese headers must be in the first row.",
  ],
  "import_too_many_rows.title": ["行数过多", "Too many rows"],
  "import_too_many_rows.detail": [
    "每个文件最多 2000 台仪器，请拆分后分批导入。",
    "A file holds at most 2,000 instruments; split the sheet.",
  ],
  "booking_note_empty.title": ["留言不能为空", "The note is empty"],
  "booking_note_empty.detail": [
    "请填写样品说明，或附上一个文件。",
    "Write about the samples, or attach a file.",
  ],
  "booking_note_file_empty.title": ["附件是空文件", "The attached file is empty"],
  "booking_note_file_empty.detail": ["请选择有内容的文件。", "Choose a file that has content."],
  "booking_note_file_too_large.title": ["附件过大", "The attached file is too large"],
  "booking_note_file_too_large.detail": [
    "每个附件不超过 20 MiB，请压缩或拆分后分别上传。",
    "Files are limited to 20 MiB each; compress or split it.",
  ],
  "import_no_rows.title": ["表中没有仪器", "The sheet has no instruments"],
  "import_no_rows.detail": [
    "请从第 3 行起填写仪器，每台一行。",
    "Fill in one instrument per row from row 3.",
  ],
  "import_rows_invalid.title": [
    "部分行有错误，未导入任何仪器",
    "Some rows have errors; nothing was imported",
  ],
  "import_rows_invalid.detail": [
    "请按各行的错误说明修正后重新导入。",
    "Correct the rows as each error says and import again.",
  ],
  "import_asset_number_taken.title": ["资产编号已被占用", "An asset number was taken meanwhile"],
  "import_asset_number_taken.detail": [
    "表中的资产编号刚被登记，请重新导入。",
    "An asset number of the sheet was registered just now; import again.",
  ],
  "broker_update_failed.title": [
    "消息服务器未能同步，操作未保存",
    "The broker did not take the change; nothing was saved",
  ],
  "broker_update_failed.detail": [
    "网关账号须同时写入消息服务器。请稍后重试；如持续失败，请联系平台管理员检查消息服务器。",
    "Gateway accounts are written to the broker as well. Try again shortly; if it keeps failing, ask the platform administrator to check the broker.",
  ],
  "gateway_retired.title": ["该网关已退役", "This gateway is retired"],
  "gateway_retired.detail": [
    "已退役的网关不能再更换密钥或修改。",
    "A retired gateway's secret and documents can no longer change.",
  ],
  "channel_has_readings.title": [
    "该通道已有数据，不能删除",
    "This channel has readings and cannot be deleted",
  ],
  "channel_has_readings.detail": [
    "删除会使已存储的数据失去归属。请保留该通道；如名称或仪器有误，请改用“编辑”更正。",
    "Deleting it would orphan its stored readings. Keep the channel; to correct its name or instrument, edit it instead.",
  ],
  "channel_unit_has_readings.title": [
    "该通道已有数据，单位不能再改",
    "This channel has readings; its unit cannot change",
  ],
  "channel_unit_has_readings.detail": [
    "已有数据按原单位存储，改单位会使历史数据出错。可以只修改名称或仪器。",
    "Its readings are stored in the current unit, so changing it would corrupt their history. Names and instrument can still be corrected.",
  ],
  "certificate_not_pdf.title": ["证书文件须为 PDF", "The certificate file must be a PDF"],
  "certificate_not_pdf.detail": [
    "请上传证书的 PDF 文件（扫描件也请存为 PDF），不超过 20 MB。",
    "Upload the certificate as a PDF (save scans as PDF too), up to 20 MB.",
  ],
  "notification_kind_unknown.title": ["没有这种通知", "There is no such notification"],
  "notification_kind_unknown.detail": [
    "请刷新页面后重新设置邮件提醒。",
    "Reload the page and set your e-mail preferences again.",
  ],
  "notification_kind_mandatory.title": ["这类通知必须发送邮件", "This notification is always e-mailed"],
  "notification_kind_mandatory.detail": [
    "涉及账号或检测结果的重要通知不能关闭邮件。",
    "Notices about your account or your test results cannot be switched off.",
  ],
  "field.start_at": ["开始时间", "Start"],
  "field.end_at": ["结束时间", "End"],
  "field.mode": ["方式", "Mode"],
  "field.instrument_id": ["仪器", "Instrument"],
  "field.sample_count": ["样品数量", "Samples"],
  "field.test_items": ["检测项目", "Test items"],
  "field.username": ["邮箱", "Email"],
  "field.password": ["密码", "Password"],
  "field.rrule": ["重复规则", "Repeat rule"],
  "field.voucher_code": ["科技创新券", "Voucher"],
  "field.other": ["{field}", "{field}"],
  "rule.invalid": ["{field}：取值不正确", "{field}: not a valid value"],
  "rule.leadTime": ["请至少提前 {minutes} 分钟预约", "Book at least {minutes} minutes ahead"],
  "rule.minDuration": ["预约时长至少 {minutes} 分钟", "A booking lasts at least {minutes} minutes"],
  "rule.maxDuration": ["预约时长至多 {minutes} 分钟", "A booking lasts at most {minutes} minutes"],
  "rule.grid": [
    "{field}须落在 {minutes} 分钟的时段刻度上",
    "{field} must be on the {minutes}-minute slot grid",
  ],
  "rule.horizon": ["最多可提前 {days} 天预约", "Bookings open at most {days} days ahead"],
  "rule.openingHours": ["所选时间不在仪器开放时间内", "The time is outside the instrument's opening hours"],
  "rule.endBeforeStart": ["结束时间必须晚于开始时间", "The end must be after the start"],
  "rule.future": ["所选时段必须在将来", "The slot must lie in the future"],
  "rule.staffOnly": ["该仪器仅提供委托测试，不可自主上机", "This instrument is operated by staff only"],
  "rule.noSampleTesting": ["该仪器不提供委托测试", "This instrument offers no sample testing"],
  "rule.needsAuthorisation": [
    "自主上机需要该仪器的有效上机授权，请改选委托测试",
    "Self-operated time needs an operator authorisation on this instrument; book staff-operated testing instead",
  ],
} as const satisfies Record<string, readonly [string, string]>;

registerText("problem", TEXT);

type Id = keyof typeof TEXT;
type Vars = Record<string, string | number>;

export interface ProblemText {
  title: string;
  /** One line per point the reader should know; empty when the title says it all. */
  details: string[];
}

/** Local wall time "YYYY-MM-DD HH:mm" of an instant in a time zone. */
export function formatLocalMinute(iso: string, timeZone: string = DISPLAY_TIME_ZONE): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

/** Converts every ISO 8601 instant with an offset inside a server sentence to local time. */
function localiseTimes(text: string, timeZone: string): string {
  return text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g, (iso) =>
    formatLocalMinute(iso, timeZone),
  );
}

/** Problems whose code alone says it all: a title and one line of advice each. */
const CODED = [
  "credit_code_invalid",
  "credit_code_taken",
  "email_taken",
  "email_invalid",
  "password_too_short",
  "registration_decided",
  "invitation_invalid",
  "own_role",
  "role_not_assignable",
  "not_organisation_admin",
  "alarm_already_acknowledged",
  "alarm_not_raised",
  "import_not_xlsx",
  "import_too_large",
  "import_missing_columns",
  "import_too_many_rows",
  "import_no_rows",
  "import_rows_invalid",
  "import_asset_number_taken",
  "broker_update_failed",
  "gateway_retired",
  "channel_has_readings",
  "channel_unit_has_readings",
  "certificate_not_pdf",
  "notification_kind_unknown",
  "notification_kind_mandatory",
  "booking_note_empty",
  "booking_note_file_empty",
  "booking_note_file_too_large",
] as const;
type Coded = (typeof CODED)[number];
const isCoded = (kind: string | null): kind is Coded => (CODED as readonly (string | null)[]).includes(kind);

/** The problem's code, else its type's slug; "quota-exceeded" and "quota_exceeded" are one kind. */
function slug(problem: Problem): string | null {
  const kind = problem.code || /\/problems\/([\w-]+)$/.exec(problem.type ?? "")?.[1];
  return kind ? kind.replace(/-/g, "_") : null;
}

const RULES: [RegExp, Id, (m: RegExpExecArray) => Vars][] = [
  [/at least (\d+) minutes ahead/, "rule.leadTime", (m) => ({ minutes: m[1] ?? "" })],
  [/lasts at least (\d+) minutes/, "rule.minDuration", (m) => ({ minutes: m[1] ?? "" })],
  [/lasts at most (\d+) minutes/, "rule.maxDuration", (m) => ({ minutes: m[1] ?? "" })],
  [/(\d+)-minute slot grid/, "rule.grid", (m) => ({ minutes: m[1] ?? "" })],
  [/at most (\d+) days ahead/, "rule.horizon", (m) => ({ days: m[1] ?? "" })],
  [/opening hours/, "rule.openingHours", () => ({})],
  [/(after|later than|before) (the )?start|end_at must be after/i, "rule.endBeforeStart", () => ({})],
  [/in the future/, "rule.future", () => ({})],
  [/operated by staff only/, "rule.staffOnly", () => ({})],
  [/no sample testing/, "rule.noSampleTesting", () => ({})],
  [/operator authorisation/, "rule.needsAuthorisation", () => ({})],
];

/**
 * The problem in the reader's language. `timeZone` is the one the API gave for the context
 * (a booking policy's), Asia/Shanghai otherwise.
 */
export function describeProblem(
  problem: Problem,
  locale: Locale,
  timeZone: string = DISPLAY_TIME_ZONE,
): ProblemText {
  const t = (id: Id, vars?: Vars) => translate(locale, id, vars, "problem");
  const time = (iso: string) => formatLocalMinute(iso, timeZone);
  const kind = slug(problem);

  if (problem.status === 0) return { title: t("title.network"), details: [] };
  if (kind === "login_throttled") {
    const wait = Math.max(1, Math.ceil(problem.retry_after_s ?? 60));
    return {
      title: t("login_throttled.title"),
      details: [
        wait < 120
          ? t("login_throttled.seconds", { seconds: wait })
          : t("login_throttled.minutes", { minutes: Math.ceil(wait / 60) }),
      ],
    };
  }
  if (kind === "booking_conflict") {
    const slots = (problem.conflicting_slots ?? []).map(
      (s) => `${time(s.start_at)} – ${time(s.end_at).slice(11)}`,
    );
    return {
      title: t("booking-conflict.title"),
      details: slots.length
        ? [t("booking-conflict.detail", { slots: slots.join(locale === "en" ? ", " : "、") })]
        : [],
    };
  }
  if (kind === "instrument_unusable" || kind === "booking_approval_unusable") {
    const reason = problem.reason ?? "other";
    const known = (TEXT as Record<string, unknown>)[`instrument-unusable.${reason}`] !== undefined;
    const line = t(known ? (`instrument-unusable.${reason}` as Id) : "instrument-unusable.other");
    const from = problem.blocked_from
      ? t("instrument-unusable.from", { from: time(problem.blocked_from) })
      : "";
    const title =
      kind === "booking_approval_unusable" ? "booking_approval_unusable.title" : "instrument-unusable.title";
    return { title: t(title), details: [line + from] };
  }
  if (kind === "quota_exceeded") {
    const id: Id = problem.period === "month" ? "quota-exceeded.month" : "quota-exceeded.week";
    const hours = problem.quota_hours ? String(Number(problem.quota_hours)) : "?";
    return { title: t("quota-exceeded.title"), details: [t(id, { hours, used: problem.used_minutes ?? 0 })] };
  }
  if (kind === "reschedule_too_late") {
    const hours = typeof problem.hours === "number" ? problem.hours : 24;
    return { title: t("reschedule_too_late.title"), details: [t("reschedule_too_late.detail", { hours })] };
  }
  if (isCoded(kind)) return { title: t(`${kind}.title`), details: [t(`${kind}.detail`)] };
  if (problem.status === 422 && problem.errors?.length) {
    const details = problem.errors.map(({ field, message }) => {
      const name = field.split(".").pop() ?? field;
      const fieldId = `field.${name}`;
      const fieldText = fieldId in TEXT ? t(fieldId as Id) : t("field.other", { field: name });
      for (const [pattern, id, vars] of RULES) {
        const m = pattern.exec(message);
        if (m) return t(id, { field: fieldText, ...vars(m) });
      }
      return t("rule.invalid", { field: fieldText });
    });
    return { title: t("title.422"), details: [...new Set(details)] };
  }
  const status = problem.status;
  const titleId: Id =
    status >= 500
      ? "title.5xx"
      : ([400, 401, 403, 404, 409, 413, 422, 429] as const).includes(status as 400)
        ? (`title.${status}` as Id)
        : "title.other";
  // The server's own words are English: an English reader gets them, with local times.
  const detail = locale === "en" && problem.detail ? [localiseTimes(problem.detail, timeZone)] : [];
  return { title: t(titleId), details: detail };
}

/** describeProblem for any thrown value (ApiError or not). */
export function describeError(error: unknown, locale: Locale, timeZone?: string): ProblemText {
  if (error instanceof ApiError) return describeProblem(error.problem, locale, timeZone);
  return {
    title: translate(locale, "title.other", undefined, "problem"),
    details: error instanceof Error && locale === "en" ? [error.message] : [],
  };
}
