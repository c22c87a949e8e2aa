import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api";

export const authKeys = {
  me: ["auth", "me"] as const,
  health: ["healthz"] as const,
};

export function useCurrentUser() {
  const api = useApi();
  return useQuery({ queryKey: authKeys.me, queryFn: () => api.me(), staleTime: 5 * 60_000 });
}

/** Whether the server runs in development, where its demo accounts exist. */
export function useIsDevelopmentServer(): boolean {
  const api = useApi();
  const health = useQuery({
    queryKey: authKeys.health,
    queryFn: () => api.health(),
    staleTime: Infinity,
    retry: false,
  });
  return health.data?.environment === "development";
}
