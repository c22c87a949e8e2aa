import { useI18n } from "../i18n";
import { describeError } from "../i18n/problems";

/**
 * Shows an error in the reader's language: the problem's code, extensions and field errors
 * become the app's own sentences, with times in `timeZone` (the API's, Asia/Shanghai otherwise).
 */
export function ErrorNotice({
  error,
  onRetry,
  timeZone,
}: {
  error: unknown;
  onRetry?: () => void;
  timeZone?: string;
}) {
  const { t, locale } = useI18n();
  const { title, details } = describeError(error, locale, timeZone);
  return (
    <div className="alert alert-error" role="alert">
      <strong>{title}</strong>
      {details.map((line) => (
        <div key={line}>{line}</div>
      ))}
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <div className="loading" role="status">
      {t("common.loading")}
    </div>
  );
}
