import { useI18n } from "../../i18n";

/** Bilingual labels of the registry, calibration and catalogue screens (zh-CN first). */
const TEXT = {
  "status.valid": ["校准有效", "Calibration valid"],
  "status.due_soon": ["即将到期", "Calibration due soon"],
  "status.expired": ["校准过期", "Calibration expired"],
  "status.out_of_service": ["停用", "Out of service"],
  "status.not_required": ["无需校准", "Calibration not required"],
  "status.validUntil": ["有效期至", "valid until"],
  "catalogue.title": ["仪器目录", "Instrument catalogue"],
  "catalogue.search": ["搜索仪器（中文或英文）", "Search instruments (Chinese or English)"],
  "catalogue.category": ["类别", "Category"],
  "catalogue.city": ["城市", "City"],
  "catalogue.parameter": ["检测参数", "Parameter"],
  "catalogue.standard": ["标准编号", "Standard"],
  "catalogue.calibration": ["校准状态", "Calibration"],
  "catalogue.any": ["全部", "Any"],
  "catalogue.sort": ["排序", "Sort"],
  "catalogue.sort.name": ["名称", "Name"],
  "catalogue.sort.value": ["原值（高到低）", "Value (high first)"],
  "catalogue.sort.due": ["校准到期", "Calibration due"],
  "catalogue.sort.institution": ["机构", "Institution"],
  "catalogue.freeFrom": ["空闲自", "Free from"],
  "catalogue.freeTo": ["空闲至", "Free until"],
  "catalogue.results": ["共 {count} 台仪器", "{count} instruments"],
  "catalogue.empty": ["没有符合条件的仪器", "No instrument matches"],
  "catalogue.prev": ["上一页", "Previous"],
  "catalogue.next": ["下一页", "Next"],
  "catalogue.page": ["第 {page} 页", "Page {page}"],
  "catalogue.live": ["实时状态：{state}", "Live state: {state}"],
  "catalogue.loginForDetails": ["登录后可查看仪器详情并预约", "Log in to see the details and book"],
  "registry.record": ["仪器档案", "Instrument record"],
  "registry.category": ["类别", "Category"],
  "registry.value": ["原值", "Original value"],
  "registry.origin": ["产地", "Country of origin"],
  "registry.specs": ["主要技术指标", "Main technical specifications"],
  "registry.functions": ["主要功能", "Main functions"],
  "registry.modes": ["服务方式", "Service modes"],
  "registry.mode.self_operated": ["自主上机", "Self-operated"],
  "registry.mode.staff_operated": ["委托测试", "Staff-operated sample testing"],
  "registry.contact": ["联系人", "Contact"],
  "registry.scope": ["CMA 资质能力范围", "CMA approved scope"],
  "registry.noScope": ["未关联资质能力", "No CMA scope linked"],
  "registry.manage": ["仪器管理", "Manage instrument"],
  "manage.certificates": ["校准证书", "Calibration certificates"],
  "manage.checks": ["期间核查", "Intermediate checks"],
  "manage.maintenance": ["维护计划", "Maintenance windows"],
  "manage.authorisations": ["操作授权", "Operator authorisations"],
  "manage.impact": ["超差影响报告", "Out-of-tolerance impact reports"],
  "manage.outOfService": ["停用记录", "Out of service"],
  "manage.return": ["恢复使用", "Return to service"],
  "manage.remarks": ["说明", "Remarks"],
  "manage.number": ["证书编号", "Certificate number"],
  "manage.agency": ["校准机构", "Agency"],
  "manage.grantedOn": ["发证日期", "Granted on"],
  "manage.validFrom": ["有效期起", "Valid from"],
  "manage.validTo": ["有效期止", "Valid to"],
  "manage.result": ["结论", "Result"],
  "manage.pass": ["合格", "Pass"],
  "manage.fail": ["不合格", "Fail"],
  "manage.add": ["添加", "Add"],
  "manage.performedAt": ["核查时间", "Performed at"],
  "manage.reference": ["参考值", "Reference value"],
  "manage.measured": ["测得值", "Measured value"],
  "manage.tolerance": ["允差", "Tolerance"],
  "manage.start": ["开始", "Start"],
  "manage.end": ["结束", "End"],
  "manage.description": ["内容", "Description"],
  "manage.userId": ["用户 ID", "User id"],
  "manage.trainedOn": ["培训日期", "Trained on"],
  "manage.lapseDays": ["未使用失效天数", "Lapse after days unused"],
  "manage.active": ["有效", "active"],
  "manage.lapsed": ["已失效", "lapsed"],
  "manage.since": ["自上次合格核查", "Since last passing check"],
  "manage.bookings": ["受影响预约", "Affected bookings"],
  "manage.exports": ["受影响数据导出", "Affected data exports"],
  "manage.notified": ["已通知 {count} 人", "{count} people notified"],
  "manage.none": ["无", "None"],
  "manage.saved": ["已保存", "Saved"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

export function text(locale: string, id: TextId, vars?: Record<string, string | number>): string {
  const template = TEXT[id][locale === "en" ? 1 : 0];
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export function useText() {
  const { locale } = useI18n();
  return (id: TextId, vars?: Record<string, string | number>) => text(locale, id, vars);
}
