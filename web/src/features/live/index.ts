export { LatestValuesPanel } from "./LatestValuesPanel";
export { LatestValuesTable } from "./LatestValuesTable";
export { QualityBadge } from "./QualityBadge";
export { HISTORY_LENGTH, SessionHistory, sessionHistory } from "./sessionHistory";
export { Sparkline, sparklinePath } from "./Sparkline";
export { LATEST_REFRESH_MS, liveKeys, useLatestValues } from "./useLatestValues";
