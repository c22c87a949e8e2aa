import { Badge, Button, Drawer, Empty, Space, Switch, Tag, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { type Notification, useMarkRead, useNotifications } from "./api";
import { useNotificationText } from "./text";
import "./notifications.css";

function Bell() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
      />
    </svg>
  );
}

/**
 * One notification: a "new" tag while unread, the title, the body (long ones folded), the time
 * in Beijing time, and "mark read". A plain list item: antd's List is deprecated in v6 and its
 * successor Listy is a virtualised list for long lists, which a drawer of notices does not need.
 */
function NotificationItem({ n, onRead }: { n: Notification; onRead: () => void }) {
  const t = useNotificationText();
  const unread = n.read_at === null;
  return (
    <li
      data-testid="notification"
      data-read={!unread}
      className={unread ? "notification-item notification-unread" : "notification-item"}
    >
      <div className="notification-main">
        <Space size={6} wrap className="notification-title">
          {unread && <Tag color="blue">{t("notifications.new")}</Tag>}
          <Typography.Text strong>{n.title}</Typography.Text>
        </Space>
        <Typography.Paragraph className="notification-body" ellipsis={{ rows: 4, expandable: true }}>
          {n.body}
        </Typography.Paragraph>
        <Typography.Text type="secondary">
          <time dateTime={n.created_at}>{formatShanghaiTime(n.created_at)}</time>
        </Typography.Text>
      </div>
      {unread && (
        <Button size="small" type="link" onClick={onRead}>
          {t("notifications.markRead")}
        </Button>
      )}
    </li>
  );
}

/** The header's bell: the unread count, and a drawer listing the notifications to read. */
export function NotificationBell() {
  const t = useNotificationText();
  const notifications = useNotifications();
  const markRead = useMarkRead();
  const [open, setOpen] = useState(false);
  const [onlyUnread, setOnlyUnread] = useState(false);
  const all = notifications.data ?? [];
  const unread = all.filter((n) => n.read_at === null);
  const shown = onlyUnread ? unread : all;
  const label = unread.length ? t("notifications.unread", { count: unread.length }) : t("notifications.open");
  return (
    <>
      <Badge count={unread.length} size="small" offset={[-4, 4]}>
        <Button
          type="text"
          aria-label={label}
          title={label}
          data-testid="notification-bell"
          icon={<Bell />}
          onClick={() => setOpen(true)}
        />
      </Badge>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        title={t("notifications.title")}
        size="min(420px, 100vw)"
        data-testid="notifications"
        extra={
          <Button
            size="small"
            disabled={unread.length === 0}
            loading={markRead.isPending}
            onClick={() => markRead.mutate(unread.map((n) => n.id))}
          >
            {t("notifications.markAll")}
          </Button>
        }
      >
        <Space className="notifications-filter">
          <Switch
            size="small"
            checked={onlyUnread}
            onChange={setOnlyUnread}
            aria-label={t("notifications.onlyUnread")}
          />
          <span>{t("notifications.onlyUnread")}</span>
          <Link
            to="/notifications/preferences"
            onClick={() => setOpen(false)}
            data-testid="email-preferences-link"
          >
            {t("prefs.link")}
          </Link>
        </Space>
        {notifications.isPending && <Loading />}
        {notifications.error && <ErrorNotice error={notifications.error} />}
        {markRead.error && <ErrorNotice error={markRead.error} />}
        {notifications.data &&
          (shown.length === 0 ? (
            <Empty description={t("notifications.empty")} />
          ) : (
            <ul className="notification-list" aria-label={t("notifications.title")}>
              {shown.map((n) => (
                <NotificationItem key={n.id} n={n} onRead={() => markRead.mutate([n.id])} />
              ))}
            </ul>
          ))}
      </Drawer>
    </>
  );
}
