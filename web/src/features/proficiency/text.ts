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
  "pt.publish": ["同意在公共信息平台公开本机构结果", "Publish our results on the public pages"],
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
  "pt.U": ["扩展不确定度 U(x)", "Expanded uncertainty U(x)"],
  "pt.k": ["包含因子 k", "Coverage factor k"],
  "pt.uHint": [
    "填写 u(x)，或同时填写 U(x) 和 k（ζ 与 En 评分需要其一）",
    "Give u(x), or U(x) with k (ζ and En scores need one of them)",
  ],
  "pt.kind.z": ["z 比分数", "z score"],
  "pt.kind.z_prime": ["z′ 比分数", "z′ score"],
  "pt.kind.zeta": ["ζ 比分数", "ζ score"],
  "pt.kind.en": ["En 值", "En number"],
  "pt.chart": ["按评分排序的柱状图，含 ±2 与 ±3 界限", "Ranked scores with the ±2 and ±3 limits"],
  "pt.new": ["新建能力验证轮次", "Define a new round"],
  "pt.code": ["轮次编号", "Round code"],
  "pt.roundTitle": ["名称", "Title"],
  "pt.roundTitleEn": ["英文名称", "Title in English"],
  "pt.measurand": ["被测量", "Measurand"],
  "pt.unit": ["单位", "Unit"],
  "pt.items": ["物品说明", "Description of the items"],
  "pt.testItems": [
    "能力验证物品（每个物品单独指定值和评分）",
    "Test items (each with its own assigned value and scores)",
  ],
  "pt.itemRow": ["第 {n} 个物品", "Item {n}"],
  "pt.itemKey": ["物品编号", "Item key"],
  "pt.itemName": ["物品名称", "Item name"],
  "pt.addItem": ["添加物品", "Add an item"],
  "pt.removeItem": ["删除物品 {key}", "Remove item {key}"],
  "pt.itemHeading": ["物品 {key}：{name}", "Item {key}: {name}"],
  "pt.itemCount": ["共 {n} 个物品", "{n} items"],
  "pt.itemNoResults": ["该物品无结果，未评分", "No results for this item, so no scores"],
  "pt.replace": ["替换本物品结果", "Replace the result for this item"],
  "pt.assignedMethod": ["指定值的确定方式", "How the assigned value is set"],
  "pt.assignedMethod.reference": ["参考值及其不确定度", "Reference value with its uncertainty"],
  "pt.assignedMethod.consensus": [
    "参加者结果的稳健平均值（算法 A）",
    "Robust mean of the participants' results (Algorithm A)",
  ],
  "pt.referenceValue": ["参考值 x_pt", "Reference value x_pt"],
  "pt.referenceU": ["参考值标准不确定度 u(x_pt)", "Standard uncertainty u(x_pt)"],
  "pt.sigmaMethod": ["能力评定标准差 σ_pt", "Standard deviation for proficiency σ_pt"],
  "pt.sigmaMethod.fixed": ["由提供者规定", "Fixed by the provider"],
  "pt.sigmaMethod.robust": ["参加者结果的稳健标准差 s*", "Robust standard deviation s* of the results"],
  "pt.sigmaFixed": ["σ_pt 数值", "σ_pt value"],
  "pt.policy": ["评分方式", "Score"],
  "pt.policy.z": ["z（u(x_pt) > 0.3σ_pt 时用 z′）", "z (z′ when u(x_pt) > 0.3σ_pt)"],
  "pt.policy.zeta": ["ζ 比分数", "ζ score"],
  "pt.policy.en": ["En 值", "En number"],
  "pt.create": ["创建轮次", "Create the round"],
  "pt.required": ["请填写{field}", "{field} is required"],
  "pt.requiredPick": ["请选择{field}", "{field} is required"],
  "pt.notNegative": ["{field}不能为负数", "{field} cannot be negative"],
  "pt.kRange": ["包含因子 k 须在 0 到 10 之间", "The coverage factor k must be between 0 and 10"],
  "pt.keyPattern": [
    "物品编号只能包含字母、数字、下划线、点和连字符",
    "An item key has letters, digits, _ . and - only",
  ],
  "pt.submitted": ["结果已提交", "Result submitted"],
  "pt.created": ["已创建轮次 {code}", "Round {code} created"],
  "pt.published": ["已在公共信息平台公开", "Published on the public pages"],
  "pt.unpublished": ["未公开", "Not published"],
  "pt.doPublish": ["公开本机构结果", "Publish our results"],
  "pt.unpublish": ["撤回公开", "Withdraw from the public pages"],
  "pt.reason.z": [
    "采用 z 比分数：u(x_pt) = {u} ≤ 0.3·σ_pt = {t}，指定值的不确定度可忽略（ISO 13528 §9.4）",
    "z score: u(x_pt) = {u} ≤ 0.3·σ_pt = {t}, so the assigned value's uncertainty is negligible (ISO 13528 §9.4)",
  ],
  "pt.reason.z_prime": [
    "采用 z′ 比分数：u(x_pt) = {u} > 0.3·σ_pt = {t}，须计入指定值的不确定度（ISO 13528 §9.5）",
    "z′ score: u(x_pt) = {u} > 0.3·σ_pt = {t}, so the assigned value's uncertainty is included (ISO 13528 §9.5)",
  ],
  "pt.reason.zeta": [
    "采用 ζ 比分数（提供者选定）：参加者自身的不确定度参与评价（ISO 13528 §9.6）",
    "ζ score, chosen by the provider: the participants' own uncertainties are part of the evaluation (ISO 13528 §9.6)",
  ],
  "pt.reason.en": [
    "采用 En 值（提供者选定）：比较结果与指定值的扩展不确定度（ISO 13528 §9.7）",
    "En number, chosen by the provider: expanded uncertainties of result and assigned value are compared (ISO 13528 §9.7)",
  ],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

registerText("proficiency", TEXT);

export function useText() {
  const { locale } = useI18n();
  return (id: TextId, vars?: Record<string, string | number>) => translate(locale, id, vars, "proficiency");
}
