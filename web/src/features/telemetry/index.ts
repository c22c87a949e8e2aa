export { formatBucket, columnsForWidth, timelineSegments, toChartData } from "./series";
export type { ChartData, SeriesResponse, StateIntervalResponse } from "./series";
export { isAlarm, STATE_COLOURS, stateColour, stateMessageId, tileState } from "./states";
export type { InstrumentState } from "./states";
export { TelemetryPanel } from "./TelemetryPanel";
export { text as telemetryText, useText as useTelemetryText } from "./text";
