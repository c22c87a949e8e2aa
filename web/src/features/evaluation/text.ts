import { registerText, translate, useI18n } from "../../i18n";

/** Bilingual labels of the sharing-evaluation console, zh-CN first. */
const TEXT = {
  "evaluation.title": ["开放共享评价", "Sharing evaluation"],
  "evaluation.year": ["年度", "Year"],
  "evaluation.level": ["统计层级", "Level"],
  "evaluation.level.institution": ["机构", "Institution"],
  "evaluation.level.city": ["城市", "City"],
  "evaluation.level.lab": ["实验室", "Lab"],
  "evaluation.level.instrument": ["仪器", "Instrument"],
  "evaluation.level.province": ["全省", "Province"],
  "evaluation.xlsx": ["下载年度报告 XLSX", "Yearly report XLSX"],
  "evaluation.pdf": ["下载年度报告 PDF", "Yearly report PDF"],
  "evaluation.name": ["名称", "Name"],
  "evaluation.instruments": ["仪器数", "Instruments"],
  "evaluation.effective": ["有效工作机时(h)", "Effective hours"],
  "evaluation.declared": ["其中申报(h)", "of which declared"],
  "evaluation.external": ["对外服务机时(h)", "External service hours"],
  "evaluation.sharingRate": ["共享率", "Sharing rate"],
  "evaluation.utilisation": ["利用率", "Utilisation"],
  "evaluation.records": ["服务记录", "Service records"],
  "evaluation.enterprises": ["服务企业", "Enterprises"],
  "evaluation.fees": ["收费(元)", "Fees (CNY)"],
  "evaluation.rating": ["平均评分", "Average rating"],
  "evaluation.belowReference": [
    "台均有效机时低于全国参考值 {hours} h",
    "Average effective hours below the national {hours} h",
  ],
  "evaluation.ranking": ["有效工作机时排名", "Ranking by effective hours"],
  "evaluation.trend": ["月度趋势", "Monthly trend"],
  "evaluation.coverage": [
    "传感器覆盖 {share}（{with} / {listed}），逾期接入 {late}，逾期未接入 {overdue}",
    "Sensor coverage {share} ({with} / {listed}); late {late}, overdue {overdue}",
  ],
  "evaluation.flags": [
    "核查异常：申报使用与仪器实测不符",
    "Reconciliation flags: claimed use the sensor did not see",
  ],
  "evaluation.noFlags": ["没有异常", "No flags"],
  "evaluation.customer": ["用户单位", "Customer"],
  "evaluation.start": ["开始", "Start"],
  "evaluation.claimed": ["申报(min)", "Claimed (min)"],
  "evaluation.measured": ["实测运行(min)", "Measured running (min)"],
  "evaluation.flag.no_use_measured": ["未测得运行", "No use measured"],
  "evaluation.flag.less_running_than_charged": ["运行明显少于计费", "Ran much less than charged"],
  "evaluation.timeline": ["时段内状态", "States in the window"],
  "evaluation.scope": ["范围", "Scope"],
  "evaluation.scope.province": ["全省", "Whole province"],
  "evaluation.rankingInstitutions": [
    "机构排名（台均有效机时）",
    "Institutions ranked by effective hours per instrument",
  ],
  "evaluation.rankingInstruments": ["仪器排名（有效机时）", "Instruments ranked by effective hours"],
  "evaluation.referenceLine": ["全国参考值 {hours} h（{year}）", "National reference {hours} h ({year})"],
  "evaluation.byCity": ["按城市", "By city"],
  "evaluation.city": ["城市", "City"],
  "evaluation.perInstrument": ["台均有效机时(h)", "Effective h per instrument"],
  "evaluation.perInstrumentExternal": ["台均对外服务(h)", "External h per instrument"],
  "evaluation.below": ["低于全国参考值的仪器", "Instruments below the national reference"],
  "evaluation.belowHint": [
    "年有效工作机时低于 {effective} h 或对外服务机时低于 {external} h（全国参考值，{year}）",
    "Yearly effective hours below {effective} h or external service hours below {external} h (national reference, {year})",
  ],
  "evaluation.belowNone": ["没有低于参考值的仪器", "No instrument below the reference"],
  "evaluation.lowEffective": ["有效机时偏低", "Low effective hours"],
  "evaluation.lowExternal": ["对外服务偏低", "Low external service"],
  "evaluation.noSensor": ["无传感器，申报机时", "No sensor: declared hours"],
  "evaluation.details": ["明细", "Details"],
  "evaluation.drill": ["查看状态时间线", "State timeline"],
  "evaluation.drillTitle": ["{name} 的状态时间线", "State timeline of {name}"],
  "evaluation.drillPeriod": ["时段（最长 31 天）", "Period (up to 31 days)"],
  "evaluation.drillEmpty": ["该时段没有状态记录", "No states recorded in this period"],
  "evaluation.readings": ["读数", "Readings"],
  "evaluation.channel": ["通道", "Channel"],
  "evaluation.samples": ["样本数", "Samples"],
  "evaluation.min": ["最小", "Min"],
  "evaluation.max": ["最大", "Max"],
  "evaluation.duration": ["时长", "Duration"],
  "evaluation.state": ["状态", "State"],
  "evaluation.state.running": ["运行", "Running"],
  "evaluation.state.idle": ["待机", "Idle"],
  "evaluation.state.off": ["关机", "Off"],
  "evaluation.state.fault": ["故障", "Fault"],
  "evaluation.state.offline": ["离线", "Offline"],
  "evaluation.month": ["{month}月", "M{month}"],
  "evaluation.flag.null": ["—", "—"],
  "evaluation.hoursUnit": ["{hours} h", "{hours} h"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

registerText("evaluation", TEXT);

export function text(locale: string, id: TextId, vars?: Record<string, string | number>): string {
  return translate(locale, id, vars, "evaluation");
}

export function useText() {
  const { locale } = useI18n();
  return (id: TextId, vars?: Record<string, string | number>) => text(locale, id, vars);
}
