import { EmailPreferences } from "../features/notifications";

export default function NotificationPreferencesRoute() {
  return <EmailPreferences />;
}
