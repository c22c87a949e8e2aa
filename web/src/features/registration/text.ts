import { registerText, translate, useI18n } from "../../i18n";

/** Labels of registration, the admin's review list and invitations (zh-CN first). */
const TEXT = {
  "nav.registrations": ["企业审核", "Registrations"],
  "nav.invitations": ["成员", "Members"],
  "header.register": ["注册企业", "Register"],
  "login.register": ["还没有账号？注册企业账号", "No account yet? Register your company"],
  "register.title": ["企业注册", "Register your company"],
  "register.subtitle": [
    "注册后由平台管理员审核，通过后即可登录预约仪器。",
    "A platform administrator reviews each registration; once approved you can log in and book.",
  ],
  "register.company": ["企业名称", "Company name"],
  "register.creditCode": ["统一社会信用代码", "Unified social credit code"],
  "register.creditCode.help": ["营业执照上的 18 位代码", "The 18-character code on the business licence"],
  "register.creditCode.invalid": [
    "统一社会信用代码无效：应为 18 位，末位校验码须与前 17 位相符（GB 32100-2015）",
    "Not a valid unified social credit code: 18 characters whose last (check) character matches the first 17 (GB 32100-2015)",
  ],
  "register.city": ["所在城市", "City"],
  "register.contact": ["联系人姓名", "Contact name"],
  "register.email": ["邮箱（登录账号）", "E-mail (your log-in)"],
  "register.email.invalid": ["请填写正确的邮箱", "Enter a valid e-mail address"],
  "register.phone": ["联系电话", "Phone"],
  "register.password": ["密码", "Password"],
  "register.password.short": ["密码至少 8 个字符", "At least 8 characters"],
  "register.confirm": ["确认密码", "Confirm password"],
  "register.confirm.mismatch": ["两次输入的密码不一致", "The passwords differ"],
  "register.required": ["请填写{field}", "{field} is required"],
  "register.submit": ["提交注册", "Register"],
  "register.done.title": ["注册申请已提交", "Registration submitted"],
  "register.done.detail": [
    "{company} 的申请正在等待平台审核。审核通过后，请用 {email} 登录。",
    "{company} is waiting for review. Once approved, log in as {email}.",
  ],
  "register.toLogin": ["去登录", "Go to log in"],
  "register.toCatalogue": ["浏览仪器目录", "Browse the catalogue"],
  "register.haveAccount": ["已有账号？登录", "Have an account? Log in"],
  "review.title": ["企业注册审核", "Enterprise registrations"],
  "review.filter": ["状态", "Status"],
  "review.status.pending": ["待审核", "Pending"],
  "review.status.approved": ["已通过", "Approved"],
  "review.status.rejected": ["已驳回", "Rejected"],
  "review.all": ["全部", "All"],
  "review.company": ["企业", "Company"],
  "review.creditCode": ["信用代码", "Credit code"],
  "review.contact": ["联系人", "Contact"],
  "review.submitted": ["提交时间", "Submitted"],
  "review.state": ["状态", "Status"],
  "review.actions": ["操作", "Actions"],
  "review.approve": ["通过", "Approve"],
  "review.reject": ["驳回", "Reject"],
  "review.reason": ["驳回原因", "Reason for rejecting"],
  "review.reason.required": ["请填写驳回原因", "Give a reason"],
  "review.approved": ["已通过：{company}", "Approved: {company}"],
  "review.rejected": ["已驳回：{company}", "Rejected: {company}"],
  "review.empty": ["没有申请", "No registrations"],
  "review.forbidden": ["仅平台管理员可审核企业注册", "Only platform administrators review registrations"],
  "invite.title": ["成员与邀请", "Members and invitations"],
  "invite.subtitle": [
    "被邀请人打开链接、设置姓名和密码后即以所选角色加入贵单位。链接 7 天内有效、仅能使用一次。",
    "Whoever opens the link sets a name and password and joins your organisation in the role you chose. Links work once, for 7 days.",
  ],
  "invite.email": ["被邀请人邮箱", "Their e-mail"],
  "invite.emailColumn": ["邮箱", "E-mail"],
  "invite.role": ["加入后的角色", "Role on joining"],
  "invite.send": ["生成邀请链接", "Create invitation link"],
  "invite.link": ["请把此链接发给 {email}（角色：{role}）：", "Send this link to {email} (role: {role}):"],
  "members.title": ["本单位成员", "Members"],
  "members.name": ["姓名", "Name"],
  "members.role": ["角色", "Role"],
  "members.roleOf": ["{name} 的角色", "Role of {name}"],
  "members.self": ["自己的角色须由其他管理员调整", "Another administrator changes your own role"],
  "members.assigned": ["已将 {name} 设为{role}", "{name} is now {role}"],
  "members.since": ["加入时间", "Joined"],
  "invite.list": ["已发出的邀请", "Invitations sent"],
  "invite.expires": ["有效期至", "Valid until"],
  "invite.state": ["状态", "Status"],
  "invite.accepted": ["已加入", "Joined"],
  "invite.open": ["待接受", "Waiting"],
  "invite.expired": ["已过期", "Expired"],
  "invite.forbidden": [
    "仅单位管理员（企业管理员、实验室主管）可邀请成员",
    "Only your organisation's administrator (enterprise admin, lab manager) invites users",
  ],
  "accept.title": ["加入 {company}", "Join {company}"],
  "accept.subtitle": ["账号：{email}", "Account: {email}"],
  "accept.name": ["姓名", "Your name"],
  "accept.submit": ["加入并设置密码", "Join and set password"],
  "accept.done": ["已加入，请登录", "You have joined: log in"],
} as const satisfies Record<string, readonly [string, string]>;

export type RegistrationTextId = keyof typeof TEXT;

registerText("registration", TEXT);

export function registrationText(
  locale: string,
  id: RegistrationTextId,
  vars?: Record<string, string | number>,
): string {
  return translate(locale, id, vars, "registration");
}

export function useRegistrationText() {
  const { locale } = useI18n();
  return (id: RegistrationTextId, vars?: Record<string, string | number>) =>
    registrationText(locale, id, vars);
}
