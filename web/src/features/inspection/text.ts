import { featureText } from "../../i18n";

/** Bilingual labels of the smart-testing (inspection SPC) screens, zh-CN first. */
const TEXT = {
  "inspection.title": ["在线检测 SPC", "Inspection SPC"],
  "inspection.empty": ["还没有检测特性", "No inspection characteristics yet"],
  "inspection.characteristic": ["特性", "Characteristic"],
  "inspection.spec": ["规格", "Specification"],
  "inspection.chart": ["控制图", "Chart"],
  "inspection.chart.imr": ["单值-移动极差图", "Individuals and moving range"],
  "inspection.chart.xbar_r": ["均值-极差图", "X̄ and range"],
  "inspection.chart.xbar_s": ["均值-标准差图", "X̄ and standard deviation"],
  "inspection.points": ["点数", "Points"],
  "inspection.limitsVersion": ["控制限版本", "Limits version"],
  "inspection.noLimits": ["第一阶段（未冻结控制限）", "Phase 1 (no frozen limits)"],
  "inspection.openAlarms": ["未处理报警", "Open alarms"],
  "inspection.current": ["当前 Cpk / Ppk", "Current Cpk / Ppk"],
  "inspection.currentHint": ["最近 {count} 个结果", "latest {count} results"],
  "inspection.capability": ["过程能力", "Capability"],
  "inspection.from": ["从", "From"],
  "inspection.to": ["至", "To"],
  "inspection.sigmaWithin": ["组内 σ：{estimator}", "within σ: {estimator}"],
  "inspection.normal": ["正态性 p = {p}", "normality p = {p}"],
  "inspection.notNormal": [
    "数据不服从正态分布（p = {p}），指数仅供参考",
    "Not normal (p = {p}): read the indices with care",
  ],
  "inspection.outOfSpec": ["超规格 {count} 个", "{count} outside specification"],
  "inspection.dragHint": [
    "在图上拖动选择基线（第一阶段），再冻结控制限",
    "Drag over the chart to select a Phase 1 baseline, then freeze limits",
  ],
  "inspection.baseline": [
    "基线：第 {first}–{last} 点，排除 {excluded} 点",
    "Baseline: points {first}–{last}, {excluded} excluded",
  ],
  "inspection.exclude": ["排除点位（逗号分隔）", "Exclude positions (comma separated)"],
  "inspection.excludeReason": ["排除原因（可查明原因）", "Reason for excluding (assignable cause)"],
  "inspection.freeze": ["冻结控制限", "Freeze limits"],
  "inspection.alarms": ["报警", "Alarms"],
  "inspection.ack": ["确认", "Acknowledge"],
  "inspection.required": ["请填写{field}", "{field} is required"],
  "inspection.reasonRequired": ["请填写排除原因", "Give the reason for excluding the points"],
  "inspection.frozen": ["已冻结控制限", "Control limits frozen"],
  "inspection.acknowledgedNow": ["报警已确认", "Alarm acknowledged"],
  "inspection.cause": ["原因", "Cause"],
  "inspection.action": ["措施", "Action"],
  "inspection.acknowledged": ["已确认：{cause} / {action}", "Acknowledged: {cause} / {action}"],
  "inspection.occurrences": ["{count} 次", "{count}×"],
  "inspection.alarm.rule": [
    "判异准则 {rule}：{text}（第 {point} 点起）",
    "Nelson test {rule}: {text} (from point {point})",
  ],
  "inspection.alarm.spread": [
    "{chart}超出控制限（第 {point} 点）",
    "{chart} beyond its control limits (point {point})",
  ],
  "inspection.alarm.out_of_spec": [
    "超出规格限（第 {point} 点）",
    "Outside the specification (point {point})",
  ],
  "inspection.spread.imr": ["移动极差", "Moving range"],
  "inspection.spread.xbar_r": ["极差", "Range"],
  "inspection.spread.xbar_s": ["标准差", "Standard deviation"],
  "inspection.rule.1": ["1 点超出 3σ", "1 point beyond 3σ"],
  "inspection.rule.2": ["连续 9 点在中心线同侧", "9 in a row on one side"],
  "inspection.rule.3": ["连续 6 点递增或递减", "6 in a row rising or falling"],
  "inspection.rule.4": ["连续 14 点交替升降", "14 in a row alternating"],
  "inspection.rule.5": ["3 点中有 2 点在同侧 2σ 外", "2 of 3 beyond 2σ on one side"],
  "inspection.rule.6": ["5 点中有 4 点在同侧 1σ 外", "4 of 5 beyond 1σ on one side"],
  "inspection.rule.7": ["连续 15 点在 1σ 内", "15 in a row within 1σ"],
  "inspection.rule.8": ["连续 8 点在 1σ 外", "8 in a row beyond 1σ"],
  "inspection.outOfSpecPoint": ["超出规格限", "outside specification"],
  "inspection.histogram": ["直方图与规格限", "Histogram with specification limits"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

/** hasText: whether a text exists for an id built from a server value. */
export const { text, useText, has: hasText } = featureText("inspection", TEXT);
