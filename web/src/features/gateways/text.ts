import { registerText, translate, useI18n } from "../../i18n";

/** Labels of the gateways page: registry, health, secrets, channels and pushed documents (zh-CN first). */
const TEXT = {
  title: ["网关", "Gateways"],
  subtitle: [
    "边缘网关采集仪器数据并上传平台。登记网关、查看心跳与积压、下发配置与校准、管理通道映射。",
    "Edge gateways read the instruments and send their data to the platform. Register gateways, watch heartbeats and backlogs, push configuration and calibration, map channels.",
  ],
  empty: ["尚未登记网关", "No gateways registered yet"],
  register: ["登记网关", "Register gateway"],
  "register.key": ["网关标识", "Gateway key"],
  "register.key.help": [
    "MQTT 用户名和主题层级，登记后不可更改，例如 zjim-lab3-gw",
    "The MQTT user name and topic level; it cannot change later. Example: zjim-lab3-gw",
  ],
  "register.key.required": ["请填写网关标识", "Enter the gateway key"],
  "register.key.pattern": [
    "以字母或数字开头，只含字母、数字、点、横线、下划线，最长 64 个字符",
    "Start with a letter or digit; letters, digits, dot, dash and underscore only; at most 64 characters",
  ],
  "register.name": ["名称", "Name"],
  "register.name.placeholder": ["例如：三楼环境试验室网关", "For example: third-floor climate lab gateway"],
  "register.name.required": ["请填写名称", "Enter a name"],
  "register.submit": ["登记", "Register"],
  "col.gateway": ["网关", "Gateway"],
  "col.status": ["连接", "Connection"],
  "col.heartbeat": ["最近心跳", "Last heartbeat"],
  "col.lag": ["延迟", "Lag"],
  "col.spool": ["缓存积压", "Spool depth"],
  "col.problems": ["异常", "Problems"],
  "col.actions": ["操作", "Actions"],
  "status.online": ["在线", "Online"],
  "status.offline": ["离线", "Offline"],
  "status.unknown": ["未连接过", "Never connected"],
  "status.retired": ["已退役", "Retired"],
  "heartbeat.never": ["从未收到", "Never received"],
  "heartbeat.seconds": ["{n} 秒前", "{n} s ago"],
  "heartbeat.minutes": ["{n} 分钟前", "{n} min ago"],
  "heartbeat.hours": ["{n} 小时前", "{n} h ago"],
  "heartbeat.days": ["{n} 天前", "{n} days ago"],
  "problem.none": ["正常", "None"],
  "problem.silent": ["超过 {minutes} 分钟没有心跳", "No heartbeat for over {minutes} minutes"],
  "problem.missing": ["缺失 {n} 条数据序号", "{n} sequence numbers never arrived"],
  "problem.dropped": ["缓存已满，丢弃 {n} 个样本", "Spool full: {n} samples dropped"],
  "problem.deviceFailing": ["设备 {device} 读取失败", "Device {device} cannot be read"],
  "problem.deviceDisabled": ["设备 {device} 已停用", "Device {device} is disabled"],
  "problem.configStale": ["网关尚未运行最新配置", "The gateway is not running the latest configuration"],
  manage: ["管理", "Manage"],
  "drawer.title": ["网关 {key}", "Gateway {key}"],
  "tab.overview": ["概况", "Overview"],
  "tab.channels": ["通道映射", "Channels"],
  "tab.config": ["配置", "Configuration"],
  "tab.security": ["密钥与退役", "Secret & retirement"],
  "overview.lastSeq": ["最新序号", "Last sequence number"],
  "overview.devices": ["设备", "Devices"],
  "overview.device.ok": ["正常", "OK"],
  "overview.device.failing": ["读取失败", "Failing"],
  "overview.device.disabled": ["已停用", "Disabled"],
  "overview.gaps": ["最近的序号缺口", "Recent sequence gaps"],
  "overview.gap": ["{first}–{last}（{at}）", "{first}–{last} ({at})"],
  "overview.noGaps": ["没有缺口", "No gaps"],
  "secret.title.created": ["网关已登记", "Gateway registered"],
  "secret.title.rotated": ["新密钥已生成", "New secret issued"],
  "secret.once": [
    "密钥只显示这一次，平台只保存其哈希值。请立即复制并保存到网关上。",
    "The secret is shown this once; the platform keeps only its hash. Copy it to the gateway now.",
  ],
  "secret.label": ["MQTT 密钥", "MQTT secret"],
  "secret.copy": ["复制密钥", "Copy secret"],
  "secret.copied": ["已复制", "Copied"],
  "secret.copyFailed": [
    "无法访问剪贴板，请手动选中复制",
    "The clipboard is not available; select and copy the secret",
  ],
  "secret.env": [
    "在网关上把密钥设为环境变量 {env}，配置文件中不写密钥。",
    "On the gateway, put the secret into the environment variable {env}; the configuration file never holds it.",
  ],
  "secret.download": ["下载配置文件", "Download configuration"],
  "secret.broker.updated": [
    "消息服务器已同步，网关现在即可用此密钥连接。",
    "The broker already accepts this secret.",
  ],
  "secret.broker.manual": [
    "本平台的消息服务器账号由管理员手工同步，请通知管理员运行 mosquitto-auth 后网关才能连接。",
    "This platform's broker accounts are synchronised by hand: ask the administrator to run mosquitto-auth before the gateway connects.",
  ],
  "secret.rotated.old": ["旧密钥已失效。", "The old secret no longer works."],
  "secret.done": ["我已保存密钥", "I have saved the secret"],
  "rotate.button": ["更换密钥", "Rotate secret"],
  "rotate.confirm": [
    "更换后旧密钥立即失效，网关在填入新密钥前无法连接。确定更换？",
    "The old secret stops working at once; the gateway cannot connect until it has the new one. Rotate?",
  ],
  "rotate.help": [
    "密钥泄露或人员变动时更换。新密钥只显示一次。",
    "Rotate when the secret may have leaked or people change. The new secret is shown once.",
  ],
  "retire.button": ["退役网关", "Retire gateway"],
  "retire.confirm": [
    "退役后网关无法再连接，通道和历史数据保留。此操作不可撤销，确定退役？",
    "A retired gateway can no longer connect; its channels and history stay. This cannot be undone. Retire?",
  ],
  "retire.help": [
    "网关拆除或更换硬件时退役；其消息服务器账号随即删除。",
    "Retire a gateway when it is removed or replaced; its broker account is deleted.",
  ],
  "retire.done": ["网关 {key} 已退役", "Gateway {key} is retired"],
  "retired.note": ["该网关已于 {at} 退役。", "This gateway was retired on {at}."],
  "config.help": [
    "网关运行的配置（YAML 或 JSON，格式见边缘代理文档）。保存后以保留消息下发，网关连接后立即生效。",
    "The configuration the gateway runs (YAML or JSON, as the edge agent documentation describes). Saving pushes it as a retained message; the gateway applies it when it connects.",
  ],
  "config.none": [
    "尚未下发过配置，可从下载的配置文件开始。",
    "No configuration pushed yet; start from the downloaded file.",
  ],
  "config.running": ["网关正在运行此配置", "The gateway runs this configuration"],
  "config.notRunning": ["网关尚未确认运行此配置", "The gateway has not confirmed running it yet"],
  "config.pushedAt": ["下发于 {at}", "Pushed {at}"],
  "config.notPushed": [
    "已保存，消息服务器不可达，稍后重新下发",
    "Saved; the broker was not reachable, push again later",
  ],
  "config.push": ["保存并下发配置", "Save and push configuration"],
  "config.pushed": ["配置已下发", "Configuration pushed"],
  "config.required": ["请填写配置", "Enter the configuration"],
  "config.loadStarter": ["填入初始配置", "Start from the initial file"],
  "calibration.title": ["校准修正", "Calibration corrections"],
  "calibration.help": [
    "按仪器有效校准证书生成修正集并下发，网关对读数实时修正。",
    "Builds the correction set from the instruments' valid calibration certificates and pushes it; the gateway corrects readings as they come.",
  ],
  "calibration.count": ["当前修正条目：{n}", "Corrections now: {n}"],
  "calibration.push": ["下发校准修正", "Push calibration corrections"],
  "calibration.pushed": ["校准修正已下发", "Calibration corrections pushed"],
  "calibration.notPushed": ["已保存，消息服务器不可达", "Saved; the broker was not reachable"],
  "channels.help": [
    "每个通道把网关上设备的一个测点对应到一台仪器的一个指标，并规定其单位。",
    "Each channel maps one point of a device on the gateway to one metric of an instrument, in its unit.",
  ],
  "channels.empty": ["尚无通道", "No channels yet"],
  "channels.point": ["设备 / 测点", "Device / point"],
  "channels.instrument": ["仪器", "Instrument"],
  "channels.metric": ["指标", "Metric"],
  "channels.unit": ["单位", "Unit"],
  "channels.add": ["添加通道", "Add channel"],
  "channels.added": ["通道已添加", "Channel added"],
  "channels.device": ["设备标识", "Device key"],
  "channels.pointKey": ["测点标识", "Point key"],
  "channels.metricName": ["指标名称", "Metric name"],
  "channels.metricNameEn": ["英文名称（可选）", "English name (optional)"],
  "channels.unitHelp": [
    "平台统一存储的单位，例如 degC、percent、kPa",
    "The unit the platform stores, e.g. degC, percent, kPa",
  ],
  "channels.required": ["请填写{field}", "{field} is required"],
  "channels.pattern": ["只含字母、数字、点、横线、下划线", "Letters, digits, dot, dash and underscore only"],
  "channels.pickInstrument": ["选择仪器", "Choose an instrument"],
  "channels.actions": ["操作", "Actions"],
  "channels.edit": ["编辑", "Edit"],
  "channels.editTitle": ["编辑通道 {point}", "Edit channel {point}"],
  "channels.editHelp": [
    "设备与测点标识由网关决定，不能修改。改到另一台仪器时，该通道已有的数据随之归到那台仪器。",
    "The device and point keys are what the gateway sends and stay. Moving the channel to another instrument moves its stored readings with it.",
  ],
  "channels.unitEditHelp": [
    "尚无数据时可以更正；数据按此单位存储后不能再改",
    "Can be corrected while the channel has no readings; once readings are stored in it, it stays",
  ],
  "channels.save": ["保存", "Save"],
  "channels.cancel": ["取消", "Cancel"],
  "channels.saved": ["通道已更新", "Channel updated"],
  "channels.delete": ["删除", "Delete"],
  "channels.deleteConfirm": [
    "删除通道 {point}？仅能删除尚无数据的通道；已有数据的通道会保留。",
    "Delete channel {point}? Only a channel without readings can go; one with readings is kept.",
  ],
  "channels.deleted": ["通道已删除", "Channel deleted"],
} as const satisfies Record<string, readonly [string, string]>;

export type GatewayTextId = keyof typeof TEXT;

registerText("gateways", TEXT);

export function gatewayText(
  locale: string,
  id: GatewayTextId,
  vars?: Record<string, string | number>,
): string {
  return translate(locale, id, vars, "gateways");
}

export function useGatewayText() {
  const { locale } = useI18n();
  return (id: GatewayTextId, vars?: Record<string, string | number>) => gatewayText(locale, id, vars);
}
