import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api";

/** The live table polls; a push stream (SSE/WebSocket) can replace this without changing callers. */
export const LATEST_REFRESH_MS = 1000;

export const liveKeys = {
  latest: (instrumentId: string) => ["instruments", instrumentId, "latest"] as const,
};

export function useLatestValues(instrumentId: string, refreshMs: number = LATEST_REFRESH_MS) {
  const api = useApi();
  return useQuery({
    queryKey: liveKeys.latest(instrumentId),
    queryFn: () => api.latestValues(instrumentId),
    refetchInterval: refreshMs,
    // A hidden tab does not need live numbers; polling resumes when it is shown again.
    refetchIntervalInBackground: false,
    staleTime: 0,
  });
}
