import { Alert, App, Card, Switch, Tag, Typography } from "antd";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { hasMessage } from "../../i18n";
import { type EmailPreference, useEmailPreferences, useSetEmailPreferences } from "./api";
import "./notifications.css";
import { type NotificationTextId, useNotificationText } from "./text";

const GROUPS: EmailPreference["group"][] = [
  "bookings",
  "complaints",
  "quality",
  "account",
  "lab",
  "platform",
];

/** `/notifications/preferences`: per notification kind, whether it is also e-mailed. */
export function EmailPreferences() {
  const t = useNotificationText();
  const { message } = App.useApp();
  const preferences = useEmailPreferences();
  const save = useSetEmailPreferences();
  const kindName = (kind: string) => {
    const id = `kind.${kind}`;
    return hasMessage(id, "notifications") ? t(id as NotificationTextId) : t("kind.other");
  };
  const toggle = (kind: string, enabled: boolean) =>
    save.mutate([{ kind, email_enabled: enabled }], {
      onSuccess: () => void message.success(t("prefs.saved")),
    });
  const data = preferences.data;
  return (
    <div className="page email-preferences" data-testid="email-preferences">
      <Typography.Title level={1} className="page-title">
        {t("prefs.title")}
      </Typography.Title>
      {preferences.isPending && <Loading />}
      {preferences.error && (
        <ErrorNotice error={preferences.error} onRetry={() => void preferences.refetch()} />
      )}
      {save.error && <ErrorNotice error={save.error} />}
      {data && (
        <>
          <Typography.Paragraph>{t("prefs.intro", { email: data.email })}</Typography.Paragraph>
          {!data.email_possible && <Alert type="warning" showIcon title={t("prefs.noEmail")} />}
          {data.preferences.some((p) => !p.editable) && (
            <Typography.Paragraph type="secondary">{t("prefs.mandatoryHint")}</Typography.Paragraph>
          )}
          {GROUPS.map((group) => {
            const rows = data.preferences.filter((p) => p.group === group);
            if (rows.length === 0) return null;
            return (
              <Card key={group} title={t(`group.${group}`)} size="small" className="email-preferences-group">
                <ul className="email-preferences-list">
                  {rows.map((p) => (
                    <li key={p.kind} className="email-preferences-row" data-testid="email-preference">
                      <span className="email-preferences-name">
                        {kindName(p.kind)}
                        {!p.editable && (
                          <Tag color="gold" className="email-preferences-mandatory">
                            {t("prefs.mandatory")}
                          </Tag>
                        )}
                      </span>
                      <Switch
                        checked={p.email_enabled}
                        disabled={!p.editable || !data.email_possible}
                        loading={save.isPending && save.variables?.[0]?.kind === p.kind}
                        aria-label={`${kindName(p.kind)} ${t("prefs.email")}`}
                        onChange={(checked) => toggle(p.kind, checked)}
                      />
                    </li>
                  ))}
                </ul>
              </Card>
            );
          })}
        </>
      )}
    </div>
  );
}
