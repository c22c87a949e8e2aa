import { registerText, translate, useI18n } from "../../i18n";

const TEXT = {
  "notifications.open": ["通知", "Notifications"],
  "notifications.unread": ["{count} 条未读通知", "{count} unread notifications"],
  "notifications.unread_one": ["{count} 条未读通知", "{count} unread notification"],
  "notifications.title": ["通知中心", "Notifications"],
  "notifications.empty": ["暂无通知", "No notifications yet"],
  "notifications.markAll": ["全部标为已读", "Mark all as read"],
  "notifications.markRead": ["标为已读", "Mark as read"],
  "notifications.new": ["未读", "New"],
  "notifications.onlyUnread": ["只看未读", "Unread only"],
  "prefs.link": ["邮件提醒设置", "E-mail preferences"],
  "prefs.title": ["邮件提醒设置", "E-mail preferences"],
  "prefs.intro": [
    "站内通知始终会发送；在这里选择哪些通知同时发送邮件到 {email}。",
    "In-app notifications are always sent; choose which ones are also e-mailed to {email}.",
  ],
  "prefs.noEmail": ["您的账号没有邮箱地址，无法发送邮件。", "Your account has no e-mail address to send to."],
  "prefs.mandatory": ["必须发送", "Always sent"],
  "prefs.mandatoryHint": [
    "涉及账号或检测结果的重要通知始终发送邮件，不能关闭。",
    "Notices about your account or your test results are always e-mailed and cannot be switched off.",
  ],
  "prefs.saved": ["已保存邮件提醒设置", "E-mail preferences saved"],
  "prefs.email": ["邮件", "E-mail"],
  "group.bookings": ["我的预约", "My bookings"],
  "group.complaints": ["投诉", "Complaints"],
  "group.quality": ["检测质量", "Test quality"],
  "group.account": ["账号", "Account"],
  "group.lab": ["实验室工作", "Lab work"],
  "group.platform": ["平台管理", "Platform administration"],
  "kind.booking_confirmed": ["预约已确认", "Booking confirmed"],
  "kind.booking_approved": ["预约已批准", "Booking approved"],
  "kind.booking_rejected": ["预约未通过", "Booking rejected"],
  "kind.booking_cancelled": ["预约已取消", "Booking cancelled"],
  "kind.booking_rescheduled": ["预约已改期", "Booking rescheduled"],
  "kind.booking_reminder": ["预约开始前提醒", "Reminder before a booking"],
  "kind.booking_completed": ["使用完成与费用", "Booking completed and charged"],
  "kind.no_show": ["未到场记录", "No-show recorded"],
  "kind.waitlist_offer": ["候补时段空出", "Waitlist slot available"],
  "kind.complaint_filed": ["收到新投诉", "New complaint filed"],
  "kind.complaint_answered": ["投诉已答复", "Complaint answered"],
  "kind.complaint_decided": ["投诉已处理", "Complaint decided"],
  "kind.calibration.out_of_tolerance": [
    "仪器超差，检测结果可能受影响",
    "Instrument out of tolerance: results may be affected",
  ],
  "kind.registration_approved": ["企业注册已通过", "Registration approved"],
  "kind.approval_request": ["预约待审批", "Booking awaiting approval"],
  "kind.booking_flagged": ["预约被标记待查", "Booking flagged for review"],
  "kind.overrun": ["超时使用", "Over-run"],
  "kind.inspection_alarm": ["SPC 报警", "SPC alarm"],
  "kind.calibration.due": ["校准即将到期", "Calibration due"],
  "kind.cma.renewal_due": ["CMA 证书需要换证", "CMA certificate renewal due"],
  "kind.cma.expired": ["CMA 证书已过期", "CMA certificate expired"],
  "kind.registration_submitted": ["企业注册待审核", "Registration awaiting review"],
  "kind.other": ["其他通知", "Other notifications"],
} as const satisfies Record<string, readonly [string, string]>;

export type NotificationTextId = keyof typeof TEXT;

registerText("notifications", TEXT);

export function useNotificationText() {
  const { locale } = useI18n();
  return (id: NotificationTextId, vars?: Record<string, string | number>) =>
    translate(locale, id, vars, "notifications");
}
