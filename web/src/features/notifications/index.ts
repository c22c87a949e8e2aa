export { EmailPreferences } from "./EmailPreferences";
export { NotificationBell } from "./NotificationBell";
