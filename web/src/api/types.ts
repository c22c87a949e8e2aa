// Names for the server's schemas, taken from the generated src/api/schema.d.ts
// (`npm run gen:api` writes it from the server's OpenAPI document; never edit it by hand).
import type { components } from "./schema";

export type Schemas = components["schemas"];

/**
 * RFC 9457 problem details, as every error response of the server carries. The generated
 * schema allows any extension member; the ones the app reads are named here.
 */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string | null;
  instance?: string | null;
  errors?: Schemas["ProblemFieldError"][];
  /** A stable machine-readable code for problems the app explains in its own words. */
  code?: string;
  /** With code "login_throttled": seconds until a log-in may be tried again. */
  retry_after_s?: number;
  /** Booking refusals: why the instrument cannot be used (blackout, calibration_expired, ...). */
  reason?: string;
  /** Quota refusals: "week" or "month", the quota and what is already booked. */
  period?: string;
  quota_hours?: string;
  used_minutes?: number;
  /** Slot conflicts: the bookings that clash. */
  conflicting_slots?: { start_at: string; end_at: string }[];
  blocked_from?: string;
  [extension: string]: unknown;
}

export type TokenResponse = Schemas["Token"];
export type OrganisationKind = Schemas["OrganisationKind"];
export type Role = Schemas["Role"];
export type Organisation = Schemas["OrganisationPublic"];
export type CurrentUser = Schemas["UserMe"];
export type Instrument = Schemas["InstrumentPublic"];
export type Channel = Schemas["ChannelPublic"];
export type InstrumentDetail = Schemas["InstrumentDetail"];
export type LatestValue = Omit<Schemas["LatestReading"], "quality"> & {
  /** A Quality name; the stored smallint code is accepted too. Null with no reading. */
  quality: Quality | number | null;
};

/** Quality names of mqtt_contract.v1.Quality, in the order of QUALITY_CODES. */
export const QUALITIES = [
  "ok",
  "stale",
  "comm_fail",
  "out_of_range",
  "bad_unit",
  "loop_low_fault",
  "loop_high_fault",
] as const satisfies readonly Schemas["Quality"][];
export type Quality = (typeof QUALITIES)[number];
