import { registerText, translate, useI18n } from "../../i18n";

/** Bilingual labels of the complaints page, zh-CN first. */
const TEXT = {
  "complaints.title": ["投诉举报", "Complaints"],
  "complaints.new": ["提交投诉", "File a complaint"],
  "complaints.institution": ["被投诉机构", "Institution"],
  "complaints.subject": ["投诉对象", "About"],
  "complaints.subject.institution": ["机构", "The institution"],
  "complaints.subject.report": ["检测报告", "A test report"],
  "complaints.subject.booking": ["我的一次预约", "One of my bookings"],
  "complaints.booking": ["预约（仪器 · 开始时间）", "Booking (instrument · start)"],
  "complaints.name": ["姓名", "Name"],
  "complaints.attachmentList": ["附件", "Attachments"],
  "complaints.about.institution": ["机构", "The institution"],
  "complaints.about.report": ["检测报告", "Test report"],
  "complaints.about.booking": ["预约", "Booking"],
  "complaints.overdue": ["已过答复期限", "The answer is overdue"],
  "complaints.overdue.platform": [
    "机构逾期未答复，平台可直接处理",
    "The institution did not answer in time; the platform may decide without its answer",
  ],
  "complaints.reportNumber": ["报告编号", "Report number"],
  "complaints.summary": ["事由", "Summary"],
  "complaints.details": ["详细情况", "Details"],
  "complaints.anonymous": ["匿名（不向平台留下联系方式）", "Anonymous (no contact details)"],
  "complaints.phone": ["电话", "Telephone"],
  "complaints.email": ["电子邮件", "E-mail"],
  "complaints.attachments": [
    "附件（PDF、PNG、JPEG，每个不超过5 MiB）",
    "Attachments (PDF, PNG, JPEG, 5 MiB each)",
  ],
  "complaints.submit": ["提交", "Submit"],
  "complaints.required": ["请填写{field}", "{field} is required"],
  "complaints.requiredPick": ["请选择{field}", "{field} is required"],
  "complaints.badEmail": ["请输入有效的电子邮件地址", "Enter a valid e-mail address"],
  "complaints.choose": ["请选择", "Choose"],
  "complaints.filed": ["已受理，查询编号 {number}", "Received; tracking number {number}"],
  "complaints.mine": ["我的投诉", "My complaints"],
  "complaints.number": ["查询编号", "Tracking number"],
  "complaints.status": ["状态", "Status"],
  "complaints.status.awaiting_response": ["等待机构答复", "Awaiting the institution's answer"],
  "complaints.status.under_review": ["平台审查中", "Under review"],
  "complaints.status.closed": ["已办结", "Closed"],
  "complaints.due": ["答复期限", "Answer due"],
  "complaints.none": ["暂无投诉", "No complaints"],
  "complaints.handling": ["待处理的投诉", "Complaints to handle"],
  "complaints.details.label": ["内容", "Details"],
  "complaints.complainant": ["投诉人", "Complainant"],
  "complaints.response": ["机构答复", "Institution's answer"],
  "complaints.answer": ["提交答复", "Send the answer"],
  "complaints.reason": ["处理理由", "Reasons"],
  "complaints.outcome.upheld": ["投诉成立", "Upheld"],
  "complaints.outcome.partly_upheld": ["部分成立", "Partly upheld"],
  "complaints.outcome.not_upheld": ["投诉不成立", "Not upheld"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

registerText("complaints", TEXT);

export function useText() {
  const { locale } = useI18n();
  return (id: TextId, vars?: Record<string, string | number>) => translate(locale, id, vars, "complaints");
}
