import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api";

export interface ScopeItem {
  id: string;
  category: "product" | "item" | "parameter";
  name: string;
  name_en: string | null;
  standard_name: string | null;
  standard_number: string;
}

export interface InstrumentRecord {
  id: string;
  name: string;
  name_en: string | null;
  category: string | null;
  specification: string | null;
  original_value: string | null;
  currency: string | null;
  country_of_origin: string | null;
  technical_specifications: string | null;
  main_functions: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  service_modes: string[];
  scope: ScopeItem[];
}

export interface Authorisation {
  id: string;
  user_id: string;
  trained_on: string;
  lapse_after_days: number | null;
  last_used_at: string | null;
  revoked_at: string | null;
  active: boolean;
  lapses_at: string | null;
}

export function useInstrumentRecord(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["registry", instrumentId, "record"],
    queryFn: () => api.call<InstrumentRecord>(`/instruments/${encodeURIComponent(instrumentId)}/record`),
  });
}

export function useAuthorisations(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["calibration", instrumentId, "authorisations"],
    queryFn: () =>
      api.call<Authorisation[]>(`/instruments/${encodeURIComponent(instrumentId)}/authorisations`),
  });
}
