// Hand-written mirrors of the server's /api/v1 schemas. They should be generated
// from the server's /openapi.json once the API settles (see docs/web.md).

/** RFC 9457 problem details, as every error response of the server carries. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string | null;
  instance?: string | null;
  errors?: { field: string; message: string }[];
  /** A stable machine-readable code for problems the app explains in its own words. */
  code?: string;
  /** With code "login_throttled": seconds until a log-in may be tried again. */
  retry_after_s?: number;
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
}

export type OrganisationKind = "institution" | "enterprise" | "platform";

export type Role = "enterprise_member" | "enterprise_admin" | "lab_staff" | "lab_manager" | "platform_admin";

export interface Organisation {
  id: string;
  kind: OrganisationKind;
  name: string;
  name_en: string | null;
}

export interface CurrentUser {
  id: string;
  email: string;
  full_name: string;
  role: Role;
  organisation: Organisation;
}

export interface Instrument {
  id: string;
  lab_id: string;
  organisation_id: string;
  name: string;
  name_en: string | null;
  model: string | null;
  manufacturer: string | null;
  location: string | null;
  is_open: boolean;
}

export interface Channel {
  id: number;
  device_key: string;
  point_key: string;
  name: string;
  name_en: string | null;
  canonical_unit: string;
  gateway_id: string;
}

export interface InstrumentDetail extends Instrument {
  channels: Channel[];
}

/** Quality names of mqtt_contract.v1.Quality, in the order of QUALITY_CODES. */
export const QUALITIES = [
  "ok",
  "stale",
  "comm_fail",
  "out_of_range",
  "bad_unit",
  "loop_low_fault",
  "loop_high_fault",
] as const;
export type Quality = (typeof QUALITIES)[number];

export interface LatestValue {
  channel_id: number;
  device_key: string;
  point_key: string;
  name: string;
  name_en: string | null;
  unit: string;
  value: number | null;
  /** ISO 8601 in UTC; null while the channel has never reported. */
  ts: string | null;
  /** A Quality name; the stored smallint code is accepted too. Null with no reading. */
  quality: Quality | number | null;
}
