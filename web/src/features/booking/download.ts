import type { ApiClient } from "../../api";
import { saveBlob } from "../../lib/saveBlob";

/** Saves a file from the API; a plain link cannot carry the bearer token, so the client fetches it. */
export async function downloadWithToken(api: ApiClient, path: string, filename: string): Promise<void> {
  const { blob, filename: served } = await api.download(path);
  saveBlob(blob, served ?? filename);
}

/** The telemetry export path for the time a booking covered (actual use when known). */
export function sessionDataPath(booking: {
  instrument_id: string;
  start_at: string;
  end_at: string;
  actual_start_at?: string | null;
  actual_end_at?: string | null;
}): string {
  const start = booking.actual_start_at ?? booking.start_at;
  const end =
    booking.actual_end_at && booking.actual_end_at > booking.end_at ? booking.actual_end_at : booking.end_at;
  return `/instruments/${encodeURIComponent(booking.instrument_id)}/export?start=${encodeURIComponent(
    start,
  )}&end=${encodeURIComponent(end)}&format=csv`;
}
