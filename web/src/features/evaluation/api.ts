/** Shapes of the /evaluation API (server/evaluation/router.py). */

export type Level = "instrument" | "lab" | "institution" | "city" | "province";

export interface MetricRow {
  key: string;
  name: string;
  instruments: number;
  measured_instruments: number;
  effective_hours: number;
  declared_hours: number;
  external_service_hours: number;
  enterprise_hours: number;
  other_institution_hours: number;
  opening_hours: number;
  sharing_rate: number | null;
  utilisation: number | null;
  average_effective_hours: number | null;
  average_external_hours: number | null;
  service_records: number;
  users: number;
  enterprises: number;
  samples: number;
  fees: string;
  voucher_amount: string;
  ratings: number;
  average_rating: number | null;
}

export interface MetricsResponse {
  level: Level;
  date_from: string;
  date_to: string;
  national_reference: Record<string, Record<string, number>>;
  rows: MetricRow[];
}

export interface MonthHours {
  month: number;
  effective_hours: number;
  external_service_hours: number;
}

export interface TimelinePiece {
  state: string;
  start_at: string;
  end_at: string;
}

export interface Check {
  booking_id: string;
  instrument_id: string;
  instrument_name: string;
  organisation_name: string;
  customer: string;
  window_start: string;
  window_end: string;
  claimed_minutes: number;
  measured_minutes: number;
  flag: string | null;
  verdict: string;
  evidence: {
    timeline: TimelinePiece[];
    readings: { channel: string; unit: string; samples: number; min: number | null; max: number | null }[];
  } | null;
}

export interface ReconciliationResponse {
  by_institution: { id: string; name: string; checked: number; flagged: number }[];
  checks: Check[];
}

export interface CoverageResponse {
  listed: number;
  with_sensor: number;
  share: number | null;
  late: number;
  overdue: number;
}
