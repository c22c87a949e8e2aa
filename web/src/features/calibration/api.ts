import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";

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
  /** The certificate's PDF among the instrument's attachments, once uploaded. */
  document_attachment_id?: string | null;
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

/** An out-of-tolerance impact report: the suspect period's and the upcoming affected bookings,
 *  the affected exports, and who was notified. */
export type ImpactReport = Schemas["ImpactReportPublic"];
export type ImpactBooking = Schemas["ImpactBooking"];

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

/** An operator authorisation with its holder's name, e-mail and organisation. */
export type NamedAuthorisation = Schemas["AuthorisationPublic"];
export type OperatorCandidate = Schemas["OperatorCandidate"];

export function useNamedAuthorisations(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["calibration", instrumentId, "authorisations"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/instruments/{instrument_id}/authorisations", {
          params: { path: { instrument_id: instrumentId } },
        })
      ).data!,
  });
}

/** Users the lab manager may authorise, by name or e-mail (empty until something is typed). */
export function useOperatorCandidates(instrumentId: string, q: string) {
  const api = useApi();
  const term = q.trim();
  return useQuery({
    queryKey: ["calibration", instrumentId, "operator-candidates", term],
    enabled: term.length > 0,
    staleTime: 30_000,
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/instruments/{instrument_id}/operator-candidates", {
          params: { path: { instrument_id: instrumentId }, query: { q: term } },
        })
      ).data!,
  });
}

/** Upload a certificate's PDF; the overview then lists the certificate with its document. */
export function useAttachCertificateDocument(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ certificateId, file }: { certificateId: string; file: File }) => {
      const form = new FormData();
      form.set("file", file);
      return api.call<Certificate>(
        `/calibration/certificates/${encodeURIComponent(certificateId)}/document`,
        { method: "POST", body: form },
      );
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["calibration", instrumentId] }),
  });
}

/** A stored attachment's bytes as a PDF blob (for preview) and its served file name. */
export function useAttachmentBlob() {
  const api = useApi();
  return useMutation({
    mutationFn: async (attachmentId: string) => {
      const { blob, filename } = await api.download(
        `/attachments/${encodeURIComponent(attachmentId)}/content`,
      );
      return { blob: new Blob([blob], { type: "application/pdf" }), filename };
    },
  });
}
