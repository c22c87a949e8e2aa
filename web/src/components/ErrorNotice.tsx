import { ApiError } from "../api";
import { useI18n } from "../i18n";

/** Shows an error the way the server described it (problem title and detail). */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const title = error instanceof ApiError ? error.problem.title : t("common.error");
  const detail =
    error instanceof ApiError ? error.problem.detail : error instanceof Error ? error.message : null;
  return (
    <div className="alert alert-error" role="alert">
      <strong>{title}</strong>
      {detail && <div>{detail}</div>}
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
