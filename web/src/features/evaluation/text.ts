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
