import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";

export interface Slot {
  start: string;
  end: string;
}

/** A period that cannot be booked and why: closed, blackout (detail: the lab's reason), booked,
 *  lead_time, horizon, slot_grid, or the registry's calibration_expired, not_calibrated,
 *  out_of_service, maintenance (detail: the registry's text). */
export interface UnavailablePeriod {
  start: string;
  end: string;
  reason: string;
  detail: string;
}

export interface Availability {
  instrument_id: string;
  free: Slot[];
  /** The registry's usability blocks only. */
  blocked: UnavailablePeriod[];
  /** Every part of the window that is not free, each with one reason (absent from older servers). */
  unavailable?: UnavailablePeriod[];
}

export interface QuoteLine {
  item: string;
  label: string;
  rate: string;
  quantity: string;
  amount: string;
}

/** One cost line of the published hourly fee: its rate and its published amount per hour. */
export interface HourlyLine {
  item: string;
  label: string;
  rate: string;
  per_hour: string;
}

/** A problem the booking would be refused with now: the same problem details (code, title,
 *  detail and extension members) `POST /bookings` would answer with. */
export type BookingRefusal = Schemas["BookingRefusal"];

/** The server's quote, with its cost lines and charge basis typed as the app reads them. */
export type Quote = Omit<Schemas["QuoteOut"], "hourly_lines" | "lines" | "charge_basis"> & {
  /** The published fee per hour (`hourly_fee`) is the sum of these. */
  hourly_lines: HourlyLine[];
  /** What is charged: time at the hourly fee (rounded half up to the fen), samples. */
  lines: QuoteLine[];
  charge_basis: "actual" | "booked";
};

export type BookingStatus =
  "pending" | "confirmed" | "checked_in" | "completed" | "cancelled" | "rejected" | "no_show";

/** A booking as the server returns it; in lists, with its instrument's names. */
export type Booking = Schemas["BookingOut"];
export type ListedBooking = Schemas["ListedBookingOut"];

export interface BookingRequest {
  instrument_id: string;
  start_at: string;
  end_at: string;
  mode: "self_operated" | "staff_operated";
  sample_count: number;
  test_items: string[];
}

const JSON_POST = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

export function useAvailability(start: string, end: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "availability", start, end],
    queryFn: () =>
      api.call<Availability[]>(
        `/availability?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`,
      ),
  });
}

export function useQuote() {
  const api = useApi();
  return useMutation({
    mutationFn: (body: BookingRequest) => api.call<Quote>("/bookings/quote", JSON_POST(body)),
  });
}

export function useCreateBooking() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: BookingRequest) => api.call<Booking>("/bookings", JSON_POST(body)),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}

export function useBookings(status?: BookingStatus) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "list", status ?? "all"],
    queryFn: async () =>
      (await api.http.GET("/api/v1/bookings", { params: { query: status ? { status: [status] } : {} } }))
        .data!,
  });
}

export function useBookingAction() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: "cancel" | "approve" | "reject" }) =>
      api.call<Booking>(`/bookings/${encodeURIComponent(id)}/${action}`, { method: "POST" }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}

/** The instrument's booking rules: time zone, slot length, cancellation window and charge. */
export function useBookingPolicy(instrumentId: string | undefined, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "policy", instrumentId],
    enabled: Boolean(instrumentId) && enabled,
    staleTime: 5 * 60_000,
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/instruments/{instrument_id}/booking-policy", {
          params: { path: { instrument_id: instrumentId! } },
        })
      ).data!,
  });
}

/** Feed URLs whose events are written in `locale`, the language the user reads the app in. */
export function useCalendarLinks(locale: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "calendar-links", locale],
    queryFn: () =>
      api.call<{ user_feed: string; instrument_feed_template: string }>(
        `/calendar/links?lang=${encodeURIComponent(locale)}`,
      ),
  });
}

/** A booking as the lab reviews it: booker, operator authorisation, and any block on its time. */
export type DetailedBooking = Schemas["DetailedBookingOut"];

/** The bookings on the lab's instruments with who booked them (lab staff and platform admins). */
export function useDetailedBookings(status?: BookingStatus, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "detailed", status ?? "all"],
    enabled,
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/bookings/detailed", {
          params: { query: status ? { status: [status] } : {} },
        })
      ).data!,
  });
}

/** The lab's bookings that overlap [start, end) — one Beijing day of work — with who booked. */
export function useLabDay(start: string, end: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "detailed", "day", start, end],
    refetchInterval: 60_000,
    queryFn: async () =>
      (await api.http.GET("/api/v1/bookings/detailed", { params: { query: { start, end } } })).data!,
  });
}

/** Open bookings an out-of-service or calibration lapse flagged, awaiting the lab's decision. */
export function useFlaggedBookings() {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "detailed", "flagged"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/bookings/detailed", {
          params: { query: { flagged: true, status: ["pending", "confirmed"] } },
        })
      ).data!,
  });
}

/** Staff record that the booker arrived, or that they did not (which charges the no-show share). */
export function useAttendance() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, arrived }: { id: string; arrived: boolean }) => {
      const params = { path: { booking_id: id } };
      const result = arrived
        ? await api.http.POST("/api/v1/bookings/{booking_id}/check-in", { params })
        : await api.http.POST("/api/v1/bookings/{booking_id}/no-show", { params });
      return result.data!;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}

export type BulkAction = Schemas["BulkAction"];
export type BulkResult = Schemas["BulkResult"];

/** Cancel, or move by `shift_minutes`, many bookings at once; one outcome per booking. */
export function useBulkAction() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: BulkAction) => (await api.http.POST("/api/v1/bookings/bulk", { body })).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}

/** One booking looked back on: history, certificates valid during it, charge, data summary. */
export function useBookingSession(bookingId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "session", bookingId],
    enabled: Boolean(bookingId),
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/bookings/{booking_id}/session", {
          params: { path: { booking_id: bookingId } },
        })
      ).data!,
  });
}

/** Approve, or reject with the reason the booker is told. */
export function useDecision() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (
      decision: { id: string; approve: true } | { id: string; approve: false; reason: string },
    ) => {
      const path = { booking_id: decision.id };
      const result = decision.approve
        ? await api.http.POST("/api/v1/bookings/{booking_id}/approve", { params: { path } })
        : await api.http.POST("/api/v1/bookings/{booking_id}/reject", {
            params: { path },
            body: { reason: decision.reason },
          });
      return result.data!;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}

/** A wish for a taken slot: waiting, offered (until offer_expires_at), accepted, expired, cancelled. */
export type WaitlistEntry = Schemas["WaitlistOut"];

/** One occurrence of a recurring booking and what became of it. */
export type SeriesResult = Schemas["SeriesResult"];

/** Join the waitlist for a taken slot; the server offers it when it frees up. */
export function useJoinWaitlist() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: Pick<BookingRequest, "instrument_id" | "start_at" | "end_at" | "mode">) =>
      (await api.http.POST("/api/v1/waitlist", { body })).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking", "waitlist"] }),
  });
}

/** The user's waitlist entries, soonest first. */
export function useWaitlist() {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", "waitlist"],
    queryFn: async () => (await api.http.GET("/api/v1/waitlist")).data!,
  });
}

/** Accept an offered slot (it becomes a booking) or leave the waitlist. */
export function useWaitlistAction() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, action }: { id: string; action: "accept" | "leave" }) => {
      const path = { entry_id: id };
      if (action === "accept") {
        return (await api.http.POST("/api/v1/waitlist/{entry_id}/accept", { params: { path } })).data!;
      }
      await api.http.DELETE("/api/v1/waitlist/{entry_id}", { params: { path } });
      return null;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}

/** Book the same time every week, `count` times in all; each occurrence is reported. */
export function useCreateSeries() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ request, count }: { request: BookingRequest; count: number }) =>
      (
        await api.http.POST("/api/v1/bookings/series", {
          body: { ...request, purpose: "", rrule: `FREQ=WEEKLY;COUNT=${count}` },
        })
      ).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}

/** Move a booking to a new time (a new booking replaces it; the old one is cancelled). */
export function useReschedule() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, start_at, end_at }: { id: string; start_at: string; end_at: string }) =>
      (
        await api.http.POST("/api/v1/bookings/{booking_id}/reschedule", {
          params: { path: { booking_id: id } },
          body: { start_at, end_at },
        })
      ).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["booking"] }),
  });
}
