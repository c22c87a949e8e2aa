import { registerText, translate, useI18n } from "../../i18n";

const TEXT = {
  "notifications.open": ["通知", "Notifications"],
  "notifications.unread": ["{count} 条未读通知", "{count} unread notifications"],
  "notifications.unread_one": ["{count} 条未读通知", "{count} unread notification"],
  "notifications.title": ["通知中心", "Notifications"],
  "notifications.empty": ["暂无通知", "No notifications yet"],
  "notifications.markAll": ["全部标为已读", "Mark all as read"],
  "notifications.markRead": ["标为已读", "Mark as read"],
  "notifications.new": ["未读", "New"],
  "notifications.onlyUnread": ["只看未读", "Unread only"],
} as const satisfies Record<string, readonly [string, string]>;

export type NotificationTextId = keyof typeof TEXT;

registerText("notifications", TEXT);

export function useNotificationText() {
  const { locale } = useI18n();
  return (id: NotificationTextId, vars?: Record<string, string | number>) =>
    translate(locale, id, vars, "notifications");
}
