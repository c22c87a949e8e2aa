import { featureText } from "../../i18n";

/** Bilingual labels of the live board's tiles, alarms and institution view (zh-CN first). */
const TEXT = {
  "tile.out_of_service": ["停用", "Out of service"],
  "tile.calibration_expired": ["校准过期", "Calibration expired"],
  "tile.not_calibrated": ["未校准", "Not calibrated"],
  "tile.reports": ["仪器上报：{state}", "Instrument reports: {state}"],
  "tile.since": ["自 {time}", "since {time}"],
  "tile.expiredOn": ["证书已于 {time} 到期", "Certificate expired {time}"],
  "tile.noCertificate": ["尚无合格的校准证书", "No passing calibration certificate"],
  "cause.check_failed": ["期间核查不合格", "Intermediate check failed"],
  "cause.calibration_failed": ["校准结果不合格", "Calibration failed"],
  "cause.fault": ["因故障停用", "Taken out for a fault"],
  "cause.manual": ["由管理员停用", "Taken out by a manager"],
  "cause.other": ["已停用", "Taken out of service"],
  "value.unmapped": ["代码 {value}（取值表中未定义）", "code {value} (not in the value map)"],
  "alarm.state_fault": ["仪器报告故障", "Instrument reports a fault"],
  "alarm.loop_fault": ["{channel}：4–20 mA 回路故障（{detail}）", "{channel}: 4–20 mA loop fault ({detail})"],
  "alarm.loop_low_fault": ["电流过低，可能断线", "current too low, open loop?"],
  "alarm.loop_high_fault": ["电流过高，可能短路", "current too high, short circuit?"],
  "alarm.out_of_range": ["{channel} 超出正常范围：{value}", "{channel} outside its normal range: {value}"],
  "alarm.gateway_offline": ["网关 {gateway} 心跳中断", "Gateway {gateway}: heartbeat missing"],
  "alarm.spc": ["SPC 报警 · {characteristic}：{rule}", "SPC alarm · {characteristic}: {rule}"],
  "alarm.spc.rule": ["判异准则 {rule}", "Nelson rule {rule}"],
  "alarm.spc.out_of_spec": ["超出规格限", "outside the specification"],
  "alarm.spc.spread": ["离散程度超出控制限", "spread outside its limits"],
  "alarm.station": ["检测工位", "Inspection station"],
  "alarms.title": ["报警", "Alarms"],
  "alarms.count": ["报警 {count}", "Alarms: {count}"],
  "alarms.none": ["当前没有报警", "No alarms now"],
  "alarms.since": ["开始于 {time}", "since {time}"],
  "alarms.acknowledge": ["确认", "Acknowledge"],
  "alarms.note": ["确认备注", "Note"],
  "alarms.cause": ["原因", "Cause"],
  "alarms.action": ["措施", "Action"],
  "alarms.submit": ["提交", "Submit"],
  "alarms.cancel": ["取消", "Cancel"],
  "alarms.acknowledged": ["已确认：{by}，{time}，{note}", "Acknowledged by {by}, {time}: {note}"],
  "alarms.unacknowledged": ["未确认", "Not acknowledged"],
  "board.institution": ["机构", "Institution"],
  "board.allLabs": ["全部实验室", "All labs"],
  "board.institutionTitle": ["机构看板", "Institution board"],
} as const satisfies Record<string, readonly [string, string]>;

export type LiveTextId = keyof typeof TEXT;

export const { text: liveText, useText: useLiveText } = featureText("live", TEXT);
