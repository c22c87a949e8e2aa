import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api";

export type CalibrationState = "valid" | "due_soon" | "expired" | "out_of_service" | "not_required";

export interface CalibrationStatus {
  instrument_id: string;
  state: CalibrationState;
  certificate_number: string | null;
  valid_to: string | null;
  next_due_at: string | null;
}

export interface Certificate {
  id: string;
  number: string;
  agency: string;
  granted_on: string;
  valid_from: string;
  valid_to: string;
  result: "pass" | "fail";
  expanded_uncertainty: number | null;
  coverage_factor: number | null;
}

export interface Check {
  id: string;
  performed_at: string;
  reference_value: number | null;
  measured_value: number | null;
  tolerance: number | null;
  result: "pass" | "fail";
}

export interface Maintenance {
  id: string;
  start_at: string;
  end_at: string;
  description: string;
}

export interface OutOfServiceRecord {
  id: string;
  start_at: string;
  end_at: string | null;
  reason: string;
  cause_kind: string;
  return_remarks: string | null;
}

export interface ImpactReport {
  id: string;
  cause_kind: string;
  since: string | null;
  found_at: string;
  bookings: {
    booking_id: string;
    start_at: string;
    end_at: string;
    status: string;
    user_name: string | null;
    organisation_name: string | null;
  }[];
  exports: {
    export_id: string;
    range_start: string;
    range_end: string;
    format: string;
    user_name: string | null;
    organisation_name: string | null;
  }[];
  notified_user_ids: string[];
}

export interface CalibrationOverview {
  status: CalibrationStatus;
  certificates: Certificate[];
  checks: Check[];
  maintenance: Maintenance[];
  out_of_service: OutOfServiceRecord[];
  impact_reports: ImpactReport[];
}

export const calibrationKeys = {
  status: (id: string) => ["calibration", id, "status"] as const,
  overview: (id: string) => ["calibration", id, "overview"] as const,
};

const path = (id: string) => `/instruments/${encodeURIComponent(id)}`;

export function useCalibrationStatus(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: calibrationKeys.status(instrumentId),
    queryFn: () => api.call<CalibrationStatus>(`${path(instrumentId)}/calibration/status`),
  });
}

export function useCalibrationOverview(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: calibrationKeys.overview(instrumentId),
    queryFn: () => api.call<CalibrationOverview>(`${path(instrumentId)}/calibration`),
  });
}

/** A POST whose success refreshes everything shown about the instrument's calibration. */
export function useInstrumentPost<Body>(instrumentId: string, suffix: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Body) =>
      api.call<unknown>(`${path(instrumentId)}${suffix}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["calibration", instrumentId] }),
  });
}

export function usePost<Body>(instrumentId: string, url: (body: Body) => string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Body) =>
      api.call<unknown>(url(body), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["calibration", instrumentId] }),
  });
}
