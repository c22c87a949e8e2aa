import { registerText, translate, useI18n } from "../../i18n";

/** Bilingual labels of the proficiency-testing page, zh-CN first. */
const TEXT = {
  "pt.title": ["能力验证", "Proficiency testing"],
  "pt.none": ["暂无能力验证轮次", "No rounds"],
  "pt.deadline": ["截止时间", "Deadline"],
  "pt.status.open": ["进行中", "Open"],
  "pt.status.closed": ["已结束", "Closed"],
  "pt.value": ["测量结果", "Result"],
  "pt.u": ["标准不确定度 u(x)", "Standard uncertainty u(x)"],
  "pt.publish": ["同意在公共信息平台公开本机构结果", "Publish our result on the public pages"],
  "pt.submit": ["提交结果", "Submit the result"],
  "pt.own": ["本机构结果", "Our result"],
  "pt.score": ["评分", "Score"],
  "pt.judgement.satisfactory": ["满意", "Satisfactory"],
  "pt.judgement.questionable": ["有问题", "Questionable"],
  "pt.judgement.unsatisfactory": ["不满意", "Unsatisfactory"],
  "pt.assigned": [
    "指定值 x_pt = {x}，u(x_pt) = {u}，σ_pt = {s}",
    "Assigned value x_pt = {x}, u(x_pt) = {u}, σ_pt = {s}",
  ],
  "pt.close": ["结束本轮并评分", "Close and score"],
  "pt.results": ["参加者结果", "Results"],
  "pt.institution": ["机构", "Institution"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

registerText("proficiency", TEXT);

export function useText() {
  const { locale } = useI18n();
  return (id: TextId, vars?: Record<string, string | number>) => translate(locale, id, vars, "proficiency");
}
