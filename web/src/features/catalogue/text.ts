import { registerText, translate, useI18n } from "../../i18n";

/** Labels of the public instrument page and the catalogue's new filters (zh-CN first). */
const TEXT = {
  "public.back": ["返回仪器目录", "Back to the catalogue"],
  "public.book": ["预约此仪器", "Book this instrument"],
  "public.bookLogin": ["登录后预约", "Log in to book"],
  "public.register": ["注册企业账号", "Register your company"],
  "public.visitorHint": [
    "预约需要企业账号：已有账号请登录，没有账号可免费注册，审核通过后即可预约。",
    "Booking needs a company account: log in, or register for free and book once approved.",
  ],
  "public.staffHint": [
    "预约由企业用户提交，机构人员请在预约页查看。",
    "Enterprises book; staff see bookings on the bookings page.",
  ],
  "public.fees": ["收费标准（元/小时）", "Hourly fees (CNY per hour)"],
  "public.fees.none": [
    "该仪器尚未公布收费标准，请联系实验室。",
    "No fee has been published for this instrument yet; ask the lab.",
  ],
  "public.fees.published": ["公布于 {date}", "published {date}"],
  "public.fees.category": ["用户类别", "User category"],
  "public.fees.perHour": ["¥{amount}/小时", "CNY {amount}/h"],
  "public.category.enterprise": ["企业用户", "Enterprises"],
  "public.category.external": ["外单位用户", "Other institutions"],
  "public.category.internal": ["本机构用户", "Own institution"],
  "public.mode.self_operated": ["自主上机", "Self-operated"],
  "public.mode.staff_operated": ["委托测试", "Staff-operated testing"],
  "public.hours": ["开放时间", "Opening hours"],
  "public.hours.none": ["未登记开放时间", "No opening hours on record"],
  "public.hours.zone": ["北京时间", "Beijing time"],
  "public.slots": ["近期可约时段", "Next free slots"],
  "public.slots.none": ["未来 14 天暂无可约时段", "No free time in the next 14 days"],
  "public.slots.pick": ["选此时段预约", "Book this slot"],
  "public.scope": ["CMA 资质认定范围", "CMA accredited scope"],
  "public.scope.none": ["未关联 CMA 检测项目", "No CMA scope items linked"],
  "public.scope.item": ["检测项目/参数", "Item / parameter"],
  "public.scope.standard": ["依据标准", "Standard"],
  "public.scope.category": ["类别", "Category"],
  "public.scope.kind.product": ["产品", "Product"],
  "public.scope.kind.item": ["项目", "Item"],
  "public.scope.kind.parameter": ["参数", "Parameter"],
  "public.record": ["仪器档案", "Instrument record"],
  "public.model": ["型号", "Model"],
  "public.manufacturer": ["生产厂商", "Manufacturer"],
  "public.category": ["类别", "Category"],
  "public.specification": ["规格", "Specification"],
  "public.origin": ["产地", "Country of origin"],
  "public.manufactured": ["出厂日期", "Manufactured"],
  "public.specs": ["主要技术指标", "Main technical specifications"],
  "public.functions": ["主要功能", "Main functions"],
  "public.accessories": ["主要附件", "Accessories"],
  "public.feeRule": ["收费说明", "Fee notes"],
  "public.location": ["放置地点", "Location"],
  "public.modes": ["服务方式", "Service modes"],
  "public.institution": ["所属机构", "Institution"],
  "public.calibration": ["校准状态", "Calibration"],
  "public.live": ["实时状态", "Live status"],
  "public.live.none": ["未接入实时数据", "No live data"],
  "public.notFound": [
    "未找到该仪器，或该仪器未对外开放。",
    "This instrument does not exist or is not open to the public.",
  ],
  "catalogue.details": ["查看详情、收费与可约时段", "Details, fees and free slots"],
  "catalogue.searchHint": [
    "支持简称与拼音首字母，如 电镜、XRD、ICP-MS、dzxwj",
    "Abbreviations and pinyin initials work too: 电镜, XRD, ICP-MS, dzxwj",
  ],
  "weekday.0": ["周一", "Mon"],
  "weekday.1": ["周二", "Tue"],
  "weekday.2": ["周三", "Wed"],
  "weekday.3": ["周四", "Thu"],
  "weekday.4": ["周五", "Fri"],
  "weekday.5": ["周六", "Sat"],
  "weekday.6": ["周日", "Sun"],
} as const satisfies Record<string, readonly [string, string]>;

export type CatalogueTextId = keyof typeof TEXT;

registerText("catalogue", TEXT);

export function catalogueText(
  locale: string,
  id: CatalogueTextId,
  vars?: Record<string, string | number>,
): string {
  return translate(locale, id, vars, "catalogue");
}

export function useCatalogueText() {
  const { locale } = useI18n();
  return (id: CatalogueTextId, vars?: Record<string, string | number>) => catalogueText(locale, id, vars);
}

/** Whether a text exists for an id built from a server value. */
export function hasCatalogueText(id: string): id is CatalogueTextId {
  return id in TEXT;
}
