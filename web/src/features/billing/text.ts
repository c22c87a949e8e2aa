import { featureText } from "../../i18n";

/** Bilingual labels of the statements page, zh-CN first. */
const TEXT = {
  "statements.title": ["月度账单", "Monthly statements"],
  "statements.organisation": ["单位", "Organisation"],
  "statements.pick": ["请选择企业或机构", "Choose an enterprise or institution"],
  "statements.pickHint": [
    "平台管理员可查看任一企业或机构的账单。请先选择单位，将打开其最近有费用的月份。",
    "As platform admin you can see any enterprise's or institution's statement. Choose one: it opens on its latest month with charges.",
  ],
  "statements.kind.enterprise": ["企业", "Enterprise"],
  "statements.kind.institution": ["机构", "Institution"],
  "statements.side.enterprise": ["企业应付", "What the enterprise pays"],
  "statements.side.institution": ["机构应收", "What the institution earns"],
  "statements.noCharges": ["（尚无费用）", "(no charges yet)"],
  "statements.month": ["月份", "Month"],
  "statements.csv": ["下载 CSV", "Download CSV"],
  "statements.xlsx": ["下载 Excel", "Download Excel"],
  "statements.total": ["合计", "Total"],
  "statements.voucherTotal": ["其中创新券", "of which vouchers"],
  "statements.lines": ["笔数", "Lines"],
  "statements.empty": ["本月无费用", "No charges this month"],
  "statements.date": ["服务日期", "Service date"],
  "statements.instrument": ["仪器", "Instrument"],
  "statements.customer": ["客户", "Customer"],
  "statements.kind": ["费用类型", "Charge"],
  "statements.minutes": ["时长（分钟）", "Minutes"],
  "statements.amount": ["金额", "Amount"],
  "statements.voucher": ["创新券抵扣", "Voucher"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

export const { text, useText } = featureText("billing", TEXT);
