import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api";

export const instrumentKeys = {
  all: ["instruments"] as const,
  detail: (id: string) => ["instruments", id] as const,
};

export function useInstruments() {
  const api = useApi();
  return useQuery({ queryKey: instrumentKeys.all, queryFn: () => api.listInstruments() });
}

export function useInstrument(id: string) {
  const api = useApi();
  return useQuery({ queryKey: instrumentKeys.detail(id), queryFn: () => api.getInstrument(id) });
}
