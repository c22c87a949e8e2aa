import { registerText, translate, useI18n } from "../../i18n";

/** Bilingual labels of the telemetry, live board and gateway screens (zh-CN first). */
const TEXT = {
  "board.title": ["实时看板", "Live board"],
  "board.lab": ["实验室", "Lab"],
  "board.alarms": ["{count} 项超限", "{count} out of range"],
  "board.gatewaysOffline": ["离线网关：{keys}", "Offline gateways: {keys}"],
  "board.connected": ["实时连接", "Live"],
  "board.reconnecting": ["正在重连…", "Reconnecting…"],
  "board.empty": ["该实验室没有仪器", "No instruments in this lab"],
  "board.noChannels": ["未接入实时测点", "No live points"],
  "board.noLabs": ["暂无可查看的实验室", "No labs visible to you"],
  "board.since": ["自 {time}", "since {time}"],
  "charts.title": ["历史曲线", "History"],
  "charts.channel": ["测点", "Point"],
  "charts.range": ["时间范围", "Range"],
  "charts.range.1h": ["1 小时", "1 hour"],
  "charts.range.24h": ["24 小时", "24 hours"],
  "charts.range.7d": ["7 天", "7 days"],
  "charts.range.30d": ["30 天", "30 days"],
  "charts.zoomHint": ["拖动选择区域放大，双击还原", "Drag to zoom, double-click to reset"],
  "charts.bucket": ["每点 {width}（{source}）", "{width} per point ({source})"],
  "charts.time": ["时间（北京时间）", "Time (Beijing)"],
  "charts.mean": ["均值", "mean"],
  "charts.min": ["最小值", "min"],
  "charts.max": ["最大值", "max"],
  "charts.source.raw": ["原始数据", "raw samples"],
  "charts.source.rollup": ["汇总数据", "rollup"],
  "charts.noData": ["该时段没有数据", "No data in this range"],
  "charts.timeline": ["状态时间线", "State timeline"],
  "charts.export": ["导出", "Export"],
  "charts.exportCsv": ["导出 CSV", "Export CSV"],
  "charts.exportParquet": ["导出 Parquet", "Export Parquet"],
  "charts.exportFailed": ["导出失败", "Export failed"],
  "gateways.title": ["网关", "Gateways"],
  "gateways.key": ["网关标识", "Key"],
  "gateways.status": ["连接", "Connection"],
  "gateways.lag": ["延迟", "Lag"],
  "gateways.spool": ["缓存积压", "Spool depth"],
  "gateways.dropped": ["已丢弃", "Dropped"],
  "gateways.gaps": ["序号缺口", "Sequence gaps"],
  "gateways.lastSeen": ["最近通信", "Last seen"],
  "gateways.online": ["在线", "online"],
  "gateways.offline": ["离线", "offline"],
  "gateways.unknown": ["未知", "unknown"],
  "gateways.empty": ["没有可见的网关", "No gateways visible to you"],
  "nav.board": ["实时看板", "Live board"],
  "nav.gateways": ["网关", "Gateways"],
} as const satisfies Record<string, readonly [string, string]>;

export type TextId = keyof typeof TEXT;

registerText("telemetry", TEXT);

export function text(locale: string, id: TextId, vars?: Record<string, string | number>): string {
  return translate(locale, id, vars, "telemetry");
}

export function useText() {
  const { locale } = useI18n();
  return (id: TextId, vars?: Record<string, string | number>) => text(locale, id, vars);
}
