/** Chinese is the reference dictionary: its keys are the message ids of the app. */
export const zhCN = {
  "app.name": "labshare",
  "app.tagline": "大型科研仪器开放共享",
  "nav.instruments": "仪器看板",
  "header.logout": "退出登录",
  "header.language": "语言",
  "header.switchTo": "English",
  "header.switchToTitle": "Switch to English",

  "login.title": "登录",
  "login.subtitle": "使用机构账号登录大型仪器共享平台",
  "login.email": "邮箱",
  "login.password": "密码",
  "login.submit": "登录",
  "login.submitting": "正在登录…",
  "login.failed": "登录失败",
  "login.demoHint": "演示账号（密码均为 {password}）：",

  "role.enterprise_member": "企业用户",
  "role.enterprise_admin": "企业管理员",
  "role.lab_staff": "实验室人员",
  "role.lab_manager": "实验室主管",
  "role.platform_admin": "平台管理员",

  "instruments.title": "仪器看板",
  "instruments.count": "共 {count} 台仪器",
  "instruments.empty": "暂无可见的仪器。",
  "instruments.open": "开放共享",
  "instruments.closed": "未开放",
  "instruments.model": "型号",
  "instruments.manufacturer": "制造商",
  "instruments.location": "位置",
  "instruments.channels": "测点",
  "instruments.back": "返回仪器看板",
  "instruments.notFound": "仪器不存在或无权查看。",

  "live.title": "实时数据",
  "live.refreshing": "每秒刷新",
  "live.point": "测点",
  "live.value": "数值",
  "live.time": "时间（北京时间）",
  "live.quality": "状态",
  "live.trend": "趋势",
  "live.empty": "该仪器尚未配置测点。",
  "live.noData": "暂无数据",
  "live.unavailable": "无法获取实时数据",

  "live.enterpriseNote": "企业用户仅可查看本单位预约期间记录的数据，可在“我的预约”中下载已完成预约的数据。",
  "live.enterpriseNoteLink": "前往我的预约",

  "state.off": "关机",
  "state.idle": "空闲",
  "state.running": "运行中",
  "state.fault": "故障",
  "state.offline": "离线",
  "state.unknown": "状态未知",

  "quality.ok": "正常",
  "quality.stale": "数据过期",
  "quality.comm_fail": "通信故障",
  "quality.out_of_range": "超出量程",
  "quality.bad_unit": "单位错误",
  "quality.none": "无数据",

  "common.loading": "加载中…",
  "common.error": "出错了",
  "common.retry": "重试",
  "common.notFound": "页面不存在",
  "common.home": "返回首页",
} as const;

export type MessageId = keyof typeof zhCN;
export type Messages = { readonly [K in MessageId]: string };
