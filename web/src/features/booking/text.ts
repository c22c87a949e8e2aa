import type { Role } from "../../api/types";
import { registerText, translate, useI18n } from "../../i18n";
import { isInstitutionRole } from "../auth/roles";
import type { DayStatus } from "./calendar";

/** Bilingual labels of the booking and billing screens (zh-CN first). */
const TEXT = {
  "nav.bookings": ["预约", "Bookings"],
  "nav.statements": ["账单", "Statements"],
  "calendar.title": ["可预约时段（本周起）", "Availability (week view)"],
  "calendar.prev": ["上一周", "Previous week"],
  "calendar.next": ["下一周", "Next week"],
  "calendar.instrument": ["仪器", "Instrument"],
  "calendar.freeHours": ["{hours} 小时可约", "{hours} h free"],
  "calendar.full": ["已约满", "Fully booked"],
  "calendar.closed": ["休息", "Closed"],
  "calendar.blackout": ["闭馆", "Closed by the lab"],
  "calendar.past": ["已截止", "Too late to book"],
  "calendar.beyondHorizon": ["尚未开放预约", "Not bookable yet"],
  "calendar.blocked": ["不可预约", "Unavailable"],
  "calendar.reason.calibration_expired": ["校准过期", "Calibration expired"],
  "calendar.reason.not_calibrated": ["未校准", "Not calibrated"],
  "calendar.reason.out_of_service": ["停用", "Out of service"],
  "calendar.reason.maintenance": ["维护中", "Maintenance"],
  "calendar.reason.gateway_offline": ["网关离线", "Gateway offline"],
  "calendar.pick": ["选择时段", "Pick a slot"],
  "timeline.title": ["日视图（按时间）", "Day timeline"],
  "timeline.hint": [
    "在某台仪器的空闲时段上按住拖动，即可选定开始和结束时间",
    "Drag across free time in an instrument's row to pick the start and end",
  ],
  "timeline.free": ["空闲", "Free"],
  "timeline.booked": ["已预约", "Booked"],
  "timeline.closed": ["未开放", "Closed"],
  "timeline.blocked": ["不可用（校准/维护）", "Unavailable (calibration, maintenance)"],
  "timeline.past": ["不可预约", "Not bookable"],
  "timeline.view": ["时间视图", "Timeline view"],
  "timeline.viewDay": ["按日", "Day"],
  "timeline.viewWeek": ["按周", "Week"],
  "week.title": ["周视图（按时间）", "Week timeline"],
  "week.hint": [
    "点击某台仪器的空闲时段，从该时刻起预约（最长 2 小时）；在同一天内按住拖动可选定开始和结束时间。时间均为北京时间。",
    "Click free time in an instrument's row to book from there (up to two hours), or drag within one day to pick the start and end. Times are Beijing time.",
  ],
  "week.prev": ["上一周", "Previous week"],
  "week.next": ["下一周", "Next week"],
  "week.this": ["本周", "This week"],
  "week.range": ["{from} 至 {to}", "{from} to {to}"],
  "week.closedDay": ["全天休息", "Closed all day"],
  "week.nav": ["切换周", "Change the week"],
  "form.title": ["预约", "Book"],
  "form.instrument": ["仪器", "Instrument"],
  "form.start": ["开始（北京时间）", "Start (Beijing time)"],
  "form.end": ["结束（北京时间）", "End (Beijing time)"],
  "form.mode": ["方式", "Mode"],
  "form.mode.self_operated": ["自主上机", "Self-operated"],
  "form.mode.staff_operated": ["委托测试", "Staff-operated sample testing"],
  "form.samples": ["样品数量", "Samples"],
  "form.items": ["检测项目（从资质范围中选择或直接输入）", "Test items (pick from the CMA scope or type)"],
  "form.quote": ["查看费用", "Get the fee quote"],
  "form.submit": ["提交预约", "Book now"],
  "form.booked": ["预约成功，状态：{status}", "Booked, status: {status}"],
  "form.reference": ["预约编号：{reference}", "Booking reference: {reference}"],
  "form.required": ["请填写{field}", "Enter the {field}"],
  "form.endBeforeStart": ["结束时间必须晚于开始时间", "The end must be after the start"],
  "form.startPast": ["开始时间必须晚于当前时间", "The start must be in the future"],
  "form.samplesMin": ["委托测试至少需要 1 个样品", "Staff-operated testing needs at least one sample"],
  "form.itemsPlaceholder": ["输入后回车，可填多项", "Type and press Enter; several allowed"],
  "form.timeZone": ["时间均为{zone}", "Times are in {zone}"],
  "form.zone.Asia/Shanghai": ["北京时间", "Beijing time"],
  "form.stale": ["修改后请重新查看费用", "Get the fee quote again after a change"],
  "calendar.pickFor": ["{instrument} · {day}：请选择时段", "{instrument} · {day}: pick a slot"],
  "calendar.pickHint": [
    "选择时段后可在下方表单中调整仪器、开始和结束时间",
    "After picking, the form below lets you change the instrument, start and end",
  ],
  "form.onlyStaff": [
    "该仪器仅提供委托测试，不可自主上机",
    "This instrument is operated by staff only: book staff-operated testing",
  ],
  "form.onlySelf": [
    "该仪器不提供委托测试，请选择自主上机",
    "This instrument offers no sample testing: book self-operated time",
  ],
  "form.repeat": ["每周重复（共几次）", "Repeat weekly (times in all)"],
  "form.repeatHint": ["1 表示只预约这一次", "1 books this time only"],
  "form.repeatMax": ["每周重复最多 {max} 次", "At most {max} weekly repeats"],
  "form.perOccurrence": ["以上为每次费用，共 {count} 次", "The fee above is per occurrence; {count} in all"],
  "form.submitSeries": ["提交 {count} 次预约", "Book all {count}"],
  "series.title": [
    "每周重复预约：成功 {booked} 次，共 {count} 次",
    "Weekly booking: {booked} of {count} booked",
  ],
  "series.outcome.booked": ["已预约", "Booked"],
  "series.outcome.conflict": ["时段已被占用", "Slot taken"],
  "series.outcome.unusable": ["仪器不可用", "Instrument unavailable"],
  "series.outcome.rejected": ["不符合预约规则", "Against the booking rules"],
  "waitlist.join": ["加入候补", "Join the waitlist"],
  "waitlist.joinHint": [
    "该时段已被预约。加入候补后，时段空出时将通知您确认。",
    "This slot is taken. Join the waitlist and you will be offered it if it frees up.",
  ],
  "waitlist.joined": ["已加入候补：{when}", "On the waitlist: {when}"],
  "waitlist.title": ["我的候补", "My waitlist"],
  "waitlist.empty": ["暂无候补", "Not waiting for any slot"],
  "waitlist.status.waiting": ["候补中", "Waiting"],
  "waitlist.status.offered": ["时段已空出，待确认", "Offered to you"],
  "waitlist.status.accepted": ["已接受", "Accepted"],
  "waitlist.status.expired": ["已过期", "Expired"],
  "waitlist.status.cancelled": ["已退出", "Left"],
  "waitlist.offerUntil": ["请在 {time} 前确认", "Accept by {time}"],
  "waitlist.accept": ["接受并预约", "Accept and book"],
  "waitlist.leave": ["退出候补", "Leave"],
  "waitlist.accepted": ["已预约，预约编号：{reference}", "Booked, reference {reference}"],
  "reschedule.button": ["改期", "Reschedule"],
  "reschedule.title": ["预约改期", "Reschedule the booking"],
  "reschedule.hint": [
    "改期后将生成新的预约编号，原预约自动取消；开始前 {hours} 小时内不可改期。",
    "The moved booking gets a new reference and the old one is cancelled; no moves within {hours} h of the start.",
  ],
  "reschedule.ok": ["确认改期", "Move it"],
  "reschedule.done": ["已改期，新预约编号：{reference}", "Moved; new reference {reference}"],
  "quote.refused": ["按当前情况，提交此预约将被拒绝：", "As things stand, this booking would be refused:"],
  "quote.voucher": [
    "创新券最多可抵扣 ¥{amount}（{share}%），自付至少 ¥{rest}",
    "Vouchers can cover up to ¥{amount} ({share}%); you pay at least ¥{rest}",
  ],
  "mine.mode": ["方式", "Mode"],
  "mine.actions": ["操作", "Actions"],
  "cancel.title": ["确认取消该预约？", "Cancel this booking?"],
  "cancel.ok": ["确认取消", "Cancel booking"],
  "cancel.back": ["返回", "Keep it"],
  "cancel.free": [
    "距开始超过 {hours} 小时，取消不收费。",
    "More than {hours} h before the start: cancelling is free.",
  ],
  "cancel.late": [
    "距开始已不足 {hours} 小时，取消将收取预约费用的 {share}%，约 ¥{amount}。",
    "Less than {hours} h before the start: cancelling costs {share}% of the fee, about ¥{amount}.",
  ],
  "cancel.checking": ["正在查询取消规则…", "Checking the cancellation rules…"],
  "category.internal": ["本机构用户", "Internal user"],
  "category.external": ["外单位用户", "External user"],
  "category.enterprise": ["企业用户", "Enterprise"],
  "quote.title": ["费用明细（成本补偿、非营利）", "Fee breakdown (cost recovery, non-profit)"],
  "quote.item": ["项目", "Item"],
  "quote.rate": ["单价", "Rate"],
  "quote.quantity": ["数量", "Quantity"],
  "quote.amount": ["金额", "Amount"],
  "quote.total": ["合计", "Total"],
  "quote.perHour": ["每小时", "Per hour"],
  "quote.hourlyFee": ["公布收费标准（元/小时）", "Published fee (CNY per hour)"],
  "quote.charge": ["本次费用", "This booking"],
  "quote.category": ["用户类别：{category}（系数 {factor}）", "User category: {category} (factor {factor})"],
  "quote.policy": [
    "按{basis}计费；创新券最多抵扣 {voucher}%；未到场收取 {noShow}%；开始前 {hours} 小时内取消收取 {late}%",
    "Charged by {basis} time; vouchers cover up to {voucher}%; no-show {noShow}%; cancelling within {hours} h costs {late}%",
  ],
  "quote.basis.actual": ["实际使用时长", "actual"],
  "quote.basis.booked": ["预约时长", "booked"],
  "quote.approval": ["需实验室审批", "Needs the lab's approval"],
  "mine.title": ["我的预约", "My bookings"],
  "mine.title.institution": ["本机构预约", "Institution bookings"],
  "mine.title.all": ["全部预约", "All bookings"],
  "mine.empty": ["暂无预约", "No bookings yet"],
  "mine.when": ["时间", "When"],
  "mine.status": ["状态", "Status"],
  "mine.fee": ["预估/实际", "Quote / actual use"],
  "mine.cancel": ["取消", "Cancel"],
  "mine.ical": ["订阅日历 (iCal)", "Subscribe (iCal)"],
  "mine.data": ["本次数据 (CSV)", "Session data (CSV)"],
  "mine.actual": ["实际使用 {minutes} 分钟", "Used {minutes} min"],
  "mine.overrun": ["超时 {minutes} 分钟", "over-run {minutes} min"],
  "approvals.title": ["待审批预约", "Bookings awaiting approval"],
  "approvals.approve": ["批准", "Approve"],
  "approvals.reject": ["拒绝", "Reject"],
  "approvals.empty": ["没有待审批的预约", "Nothing to approve"],
  "review.booker": ["预约单位 / 人", "Booked by"],
  "review.samplesItems": ["样品 / 检测项目", "Samples / test items"],
  "review.samples": ["样品 {count} 件", "{count} samples"],
  "review.samples_one": ["样品 {count} 件", "{count} sample"],
  "review.quote": ["预估费用", "Quote"],
  "review.operator.authorised": ["已授权上机", "Authorised operator"],
  "review.operator.until": ["已授权上机（{date} 前使用有效）", "Authorised operator (use by {date})"],
  "review.operator.lapsed": ["上机授权已失效", "Operator authorisation lapsed"],
  "review.operator.none": ["未获上机授权", "Not an authorised operator"],
  "review.operator.not_needed": ["无需上机授权", "No operator authorisation needed"],
  "review.unusable": ["仪器不可用：{reason}（自 {from} 起）", "Instrument unusable: {reason} (from {from})"],
  "review.unusableHint": [
    "仪器在该时段不可用，批准将被拒绝；请拒绝并说明原因，或待仪器恢复后再批准",
    "The instrument cannot serve this time, so approval is refused; reject with a reason, or approve once it is back",
  ],
  "review.rejectTitle": ["拒绝预约", "Reject the booking"],
  "review.reason": ["拒绝原因", "Reason for the rejection"],
  "review.reasonHint": [
    "预约人将在“我的预约”和通知中看到此原因",
    "The booker sees this on their booking and in the notification",
  ],
  "review.reasonRequired": ["请填写拒绝原因", "Give a reason for the rejection"],
  "review.approved": ["已批准", "Approved"],
  "review.rejected": ["已拒绝，已通知预约人", "Rejected; the booker has been told"],
  "mine.reason": ["原因：{reason}", "Reason: {reason}"],
  "mine.bookedBy": ["预约单位 / 人", "Booked by"],
  "status.pending": ["待审批", "Pending"],
  "status.confirmed": ["已确认", "Confirmed"],
  "status.checked_in": ["使用中", "Checked in"],
  "status.completed": ["已完成", "Completed"],
  "status.cancelled": ["已取消", "Cancelled"],
  "status.rejected": ["未批准", "Rejected"],
  "status.no_show": ["未到场", "No-show"],
  flag: ["受影响：{detail}", "Affected: {detail}"],
  "nav.day": ["今日工作", "Today"],
  "day.back": ["返回", "Back"],
  "day.title": ["今日预约", "Today's bookings"],
  "day.titleOn": ["{day} 的预约", "Bookings on {day}"],
  "day.previous": ["前一天", "Previous day"],
  "day.next": ["后一天", "Next day"],
  "day.today": ["回到今天", "Back to today"],
  "day.pick": ["选择日期", "Pick a day"],
  "day.empty": ["这一天没有预约", "No bookings on this day"],
  "day.otherInstrument": ["本机构其他仪器", "Another instrument of the institution"],
  "day.time": ["时间（北京时间）", "Time (Beijing)"],
  "day.use": ["状态 / 实际使用", "Status / actual use"],
  "day.checkedInByStaff": ["{time} 由工作人员签到", "Checked in by staff at {time}"],
  "day.checkedInBySignal": ["{time} 仪器开机自动签到", "Checked in at {time} by the instrument's signal"],
  "day.actual": ["实际使用 {minutes} 分钟", "Used {minutes} min"],
  "day.overrunning": ["已超时 {minutes} 分钟，仍在使用", "{minutes} min over, still in use"],
  "day.overran": ["超时 {minutes} 分钟", "Ran {minutes} min over"],
  "day.checkIn": ["签到", "Check in"],
  "day.checkedIn": ["已签到", "Checked in"],
  "day.noShow": ["记为爽约", "Record a no-show"],
  "day.noShowTitle": ["记为爽约？", "Record a no-show?"],
  "day.noShowBody": [
    "{who} 的预约（{time}）将记为爽约，按预约规则收取爽约费，并释放剩余时段。",
    "The booking of {who} ({time}) becomes a no-show: the no-show share of the fee is charged and the rest of the slot is freed.",
  ],
  "day.noShowRecorded": ["已记为爽约，已通知预约人", "No-show recorded; the booker has been told"],
  "flagged.title": ["受影响的预约", "Affected bookings"],
  "flagged.hint": [
    "仪器停用、校准过期或维护时，其后的预约会列在这里；标记时已通知预约人和实验室人员。勾选后可统一改期或取消，预约人会再次收到通知，空出的时段依次提供给候补用户。",
    "Bookings after an instrument went out of service, lost its calibration or went into maintenance are listed here; their bookers and the lab's staff were told when they were flagged. Pick some to move or cancel together: the bookers are told again, and freed slots go to the waitlist.",
  ],
  "flagged.empty": ["没有受影响的预约", "No affected bookings"],
  "flagged.reason": ["原因", "Reason"],
  "flagged.notified": ["通知", "Notified"],
  "flagged.notifiedText": ["已通知预约人和实验室人员", "Booker and lab staff told"],
  "flagged.reschedule": ["统一改期（{count}）", "Move ({count})"],
  "flagged.cancel": ["统一取消（{count}）", "Cancel ({count})"],
  "flagged.rescheduleTitle": ["改期 {count} 个预约", "Move {count} bookings"],
  "flagged.cancelTitle": ["取消 {count} 个预约", "Cancel {count} bookings"],
  "flagged.rescheduleOk": ["改期并通知", "Move and notify"],
  "flagged.cancelOk": ["取消并通知", "Cancel and notify"],
  "flagged.shift": ["顺延时长", "Move by"],
  "flagged.shiftHint": [
    "每个预约都按此时长前后移动（负数为提前）；新时段不可用的预约保持不变并在结果中列出。",
    "Every booking moves by this much (negative: earlier); a booking whose new time is unavailable stays as it is and is listed in the result.",
  ],
  "flagged.shiftRequired": ["请填写非零的时长", "Enter a non-zero number of hours"],
  "flagged.hours": ["小时", "h"],
  "flagged.message": ["给预约人的说明", "Message to the bookers"],
  "flagged.messageHint": ["预约人会在通知中看到这段文字。", "The bookers read this in their notification."],
  "flagged.messageRequired": ["取消预约请说明原因", "Say why the bookings are cancelled"],
  "flagged.sent": ["已处理，已通知预约人", "Done; the bookers have been told"],
  "flagged.outcomes": ["{count} 个预约中 {done} 个已处理", "{done} of {count} bookings done"],
  "flagged.outcome.cancelled": ["已取消", "cancelled"],
  "flagged.outcome.rescheduled": ["已改期", "moved"],
  "flagged.outcome.conflict": ["新时段不可用，未改期", "new time unavailable, not moved"],
  "flagged.outcome.not_found": ["不是本实验室的预约", "not a booking of your labs"],
  "flagged.outcome.unchanged": ["预约状态已变，未处理", "its status had changed, left alone"],
  "session.open": ["详情", "Details"],
  "session.back": ["返回预约", "Back to bookings"],
  "session.reference": ["预约编号", "Reference"],
  "session.history": ["办理记录", "History"],
  "session.event.requested": ["提交预约", "Booked"],
  "session.event.approved": ["实验室已批准", "Approved by the lab"],
  "session.event.rejectedWith": ["实验室未批准：{reason}", "Rejected by the lab: {reason}"],
  "session.event.checked_in": ["已签到", "Checked in"],
  "session.event.checked_in.manual": ["工作人员签到", "Checked in by the lab's staff"],
  "session.event.checked_in.telemetry": ["仪器开机，自动签到", "Checked in when the instrument started"],
  "session.event.completed": ["使用结束", "Use ended"],
  "session.event.cancelled": ["已取消", "Cancelled"],
  "session.event.cancelled.booker": ["预约人取消", "Cancelled by the booker"],
  "session.event.cancelled.lab": ["实验室取消", "Cancelled by the lab"],
  "session.event.no_show": ["未到场", "No-show"],
  "session.event.chargedAmount": ["计费 ¥{amount}", "Charged ¥{amount}"],
  "session.certificate": ["期间有效的校准证书", "Calibration at the time"],
  "session.noCertificate": [
    "使用期间没有有效的校准证书。",
    "No calibration certificate was valid during the session.",
  ],
  "session.covers": ["覆盖整个使用期间", "Valid for the whole session"],
  "session.coversPart": ["仅覆盖部分使用期间", "Valid for part of the session"],
  "session.agency": ["校准机构", "Calibrated by"],
  "session.valid": ["有效期", "Valid"],
  "session.result": ["结论", "Result"],
  "session.result.pass": ["合格", "Pass"],
  "session.result.fail": ["不合格", "Fail"],
  "session.uncertainty": ["扩展不确定度", "Expanded uncertainty"],
  "session.data": ["使用期间的数据", "Data of the session"],
  "session.window": ["{from}–{to}（北京时间）", "{from}–{to} (Beijing time)"],
  "session.noChannels": ["该仪器没有接入传感器", "The instrument has no sensor"],
  "session.channel": ["通道", "Channel"],
  "session.readings": ["读数个数", "Readings"],
  "session.min": ["最小值", "Min"],
  "session.mean": ["平均值", "Mean"],
  "session.max": ["最大值", "Max"],
  "session.stateShare": ["{state} · {count} 次", "{state} · {count} readings"],
  "session.stateShare_one": ["{state} · {count} 次", "{state} · {count} reading"],
  "session.unmapped": ["代码 {value}（未定义）", "code {value} (not in the value map)"],
  "session.charge": ["费用", "Charge"],
  "session.payable": ["企业支付", "Paid by the organisation"],
  "session.category": ["用户类别", "User category"],
  "session.noCharge": ["尚未计费（预估 ¥{quote}）", "Not charged yet (quote ¥{quote})"],
  "statements.title": ["月度账单", "Monthly statements"],
  "statements.month": ["月份", "Month"],
  "statements.csv": ["下载 CSV", "Download CSV"],
  "statements.xlsx": ["下载 Excel", "Download Excel"],
  "statements.total": [
    "合计 ¥{total}，其中创新券 ¥{voucher}",
    "Total ¥{total}, of which vouchers ¥{voucher}",
  ],
  "statements.empty": ["本月无费用", "No charges this month"],
  "statements.date": ["服务日期", "Service date"],
  "statements.instrument": ["仪器", "Instrument"],
  "statements.customer": ["客户", "Customer"],
  "statements.kind": ["费用类型", "Charge"],
  "statements.minutes": ["时长（分钟）", "Minutes"],
  "statements.amount": ["金额", "Amount"],
  "statements.voucher": ["创新券抵扣", "Voucher"],
  "kind.usage": ["机时费", "Usage"],
  "kind.no_show": ["爽约费", "No-show"],
  "kind.late_cancellation": ["逾期取消费", "Late cancellation"],
  "notes.title": ["样品信息与留言", "Sample information and notes"],
  "notes.hint": [
    "预约单位与实验室人员可见。可填写样品说明，并附上样品清单、照片或安全技术说明书（每个文件不超过 20 MiB）。",
    "Seen by the booking organisation and the lab staff. Describe the samples and attach a sample list, photos or a safety data sheet (up to 20 MiB per file).",
  ],
  "notes.empty": ["还没有留言", "No notes yet"],
  "notes.placeholder": ["样品说明或回复…", "About the samples, or a reply…"],
  "notes.attach": ["添加附件", "Attach a file"],
  "notes.send": ["发送", "Send"],
  "notes.side.booker": ["预约方", "Booker"],
  "notes.side.lab": ["实验室", "Lab"],
  "notes.side.platform": ["平台", "Platform"],
  "notes.show": ["留言", "Notes"],
  "notes.showTitle": ["样品信息与留言", "Sample information and notes"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

function known(id: string): id is TextId {
  return Object.hasOwn(TEXT, id);
}

/** Whether an id built from a server value (an enum, a zone) has a text. */
export function knownText(id: string): id is TextId {
  return known(id);
}

/** A server enum value in words (`status.`, `form.mode.`, `category.` + value); never the raw value
 *  when a text exists, and the value itself only for one the app does not know yet. */
export function enumText(locale: string, prefix: "status" | "form.mode" | "category", value: string): string {
  const id = `${prefix}.${value}`;
  return known(id) ? text(locale, id) : value;
}

/** The label of a week-grid cell without free time; an unknown block reason reads "unavailable". */
export function dayStatusText(status: Exclude<DayStatus, { kind: "free" }>): TextId {
  if (status.kind === "blocked") {
    const id = `calendar.reason.${status.reason}`;
    return known(id) ? id : "calendar.blocked";
  }
  return status.kind === "unavailable" ? "calendar.blocked" : `calendar.${status.kind}`;
}

/** Heading of the bookings list: whose bookings the server returns depends on the role. */
export function bookingsTitle(role: Role | null | undefined): TextId {
  if (role === "platform_admin") return "mine.title.all";
  if (isInstitutionRole(role)) return "mine.title.institution";
  return "mine.title";
}

/** A statement line's charge kind in words; a kind added on the server later shows its key. */
export function chargeKindText(locale: string, kind: string): string {
  const id = `kind.${kind}`;
  return known(id) ? text(locale, id) : kind;
}

registerText("booking", TEXT);

export function text(locale: string, id: TextId, vars?: Record<string, string | number>): string {
  return translate(locale, id, vars, "booking");
}

export function useText() {
  const { locale } = useI18n();
  return (id: TextId, vars?: Record<string, string | number>) => text(locale, id, vars);
}
