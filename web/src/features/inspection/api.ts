/** Shapes of the /inspection API (server/inspection/schemas.py). */

export interface Characteristic {
  id: string;
  instrument_id: string | null;
  product: string;
  key: string;
  name: string;
  unit: string;
  nominal: number | null;
  lsl: number | null;
  usl: number | null;
  subgroup_size: number;
  chart: "imr" | "xbar_r" | "xbar_s";
  rules: number[];
  limits_version: number | null;
  points: number;
  open_alarms: number;
  /** Capability of the latest results (at most 1,000): how many, Cpk (within σ) and Ppk. */
  current_n: number;
  current_cpk: number | null;
  current_ppk: number | null;
}

export interface LimitsVersion {
  version: number;
  center: number;
  ucl: number;
  lcl: number;
  spread_center: number;
  spread_ucl: number;
  spread_lcl: number;
  sigma_within: number;
  sigma_estimator: string;
  points: number;
  baseline_first: number;
  baseline_last: number;
  exclusions: { position: number; reason: string }[];
}

export interface ChartPoints {
  position: number[];
  ts_ms: number[];
  subgroup: (string | null)[];
  n: number[];
  location: number[];
  spread: (number | null)[];
  limits_version: (number | null)[];
  z: (number | null)[];
  rules: number[][];
  out_of_spec: boolean[];
  spread_out: boolean[];
}

export interface ChartResponse {
  chart: string;
  lsl: number | null;
  usl: number | null;
  limits: LimitsVersion[];
  points: ChartPoints;
}

export interface Interval {
  low: number;
  high: number;
}

export interface CapabilityResponse {
  n: number;
  mean: number;
  sigma_within: number | null;
  sigma_within_estimator: string | null;
  sigma_overall: number;
  cp: number | null;
  cpk: number | null;
  pp: number | null;
  ppk: number | null;
  cp_ci: Interval | null;
  cpk_ci: Interval | null;
  pp_ci: Interval | null;
  ppk_ci: Interval | null;
  normality_p: number | null;
  normal: boolean | null;
  out_of_spec: number;
  lsl: number | null;
  usl: number | null;
  histogram_edges: number[];
  histogram_counts: number[];
}

export interface Alarm {
  id: number;
  characteristic_id: string;
  kind: "rule" | "out_of_spec" | "spread";
  rule: number | null;
  positions: number[];
  message: string;
  occurrences: number;
  last_position: number;
  raised_at: string;
  acknowledged_at: string | null;
  cause: string | null;
  action: string | null;
}
