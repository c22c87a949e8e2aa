import { useState } from "react";
import { useSearchParams } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useCurrentUser } from "../auth";
import { useInstruments } from "../instruments";
import { AvailabilityCalendar, type TimelineView } from "./AvailabilityCalendar";
import { BookingForm, type BookingDraft } from "./BookingForm";
import { ApprovalsQueue } from "./ApprovalsQueue";
import { MyBookings } from "./MyBookings";
import { Waitlist } from "./Waitlist";

const HOUR_MS = 3600 * 1000;

/** The form a link opens: the instrument, and the linked free period's first two hours (or the
 *  next whole hour when none was given); the user still adjusts both before booking. */
function initialDraft(params: URLSearchParams): (BookingDraft & { pick: number }) | null {
  const instrumentId = params.get("instrument");
  if (!instrumentId) return null;
  const linkedStart = Date.parse(params.get("start") ?? "");
  const linkedEnd = Date.parse(params.get("end") ?? "");
  const start = Number.isNaN(linkedStart) ? Math.ceil(Date.now() / HOUR_MS + 1) * HOUR_MS : linkedStart;
  const end = Number.isNaN(linkedEnd) ? start + 2 * HOUR_MS : Math.min(linkedEnd, start + 2 * HOUR_MS);
  return { instrumentId, start: new Date(start).toISOString(), end: new Date(end).toISOString(), pick: 1 };
}

/** Availability across instruments, the booking flow with its quote, my bookings, approvals. */
export function BookingsPage() {
  const me = useCurrentUser();
  const instruments = useInstruments();
  // Each pick in the grid starts a fresh form (its key); edits in the form never snap back.
  // ?instrument=<id>[&start=&end=] (from an instrument's public page) opens the form on it.
  // ?view=week shows the week timeline under the grid, so the view can be bookmarked.
  const [params, setParams] = useSearchParams();
  const view: TimelineView = params.get("view") === "week" ? "week" : "day";
  const [draft, setDraft] = useState<(BookingDraft & { pick: number }) | null>(() => initialDraft(params));
  if (instruments.isPending || me.isPending) return <Loading />;
  if (instruments.error) return <ErrorNotice error={instruments.error} />;
  const list = instruments.data;
  const staff = me.data && ["lab_staff", "lab_manager", "platform_admin"].includes(me.data.role);
  return (
    <div className="page">
      <AvailabilityCalendar
        instruments={list}
        view={view}
        onViewChange={(next) =>
          setParams(
            (current) => {
              const updated = new URLSearchParams(current);
              if (next === "week") updated.set("view", "week");
              else updated.delete("view");
              return updated;
            },
            { replace: true },
          )
        }
        onPick={(instrumentId, slot, exact) => {
          // A period dragged on a timeline is taken as it is; a free stretch's first two hours.
          const start = Date.parse(slot.start);
          const end = exact ? Date.parse(slot.end) : Math.min(Date.parse(slot.end), start + 2 * HOUR_MS);
          setDraft((current) => ({
            instrumentId,
            start: slot.start,
            end: new Date(end).toISOString(),
            pick: (current?.pick ?? 0) + 1,
          }));
        }}
      />
      {draft && <BookingForm key={draft.pick} instruments={list} draft={draft} />}
      {staff && <ApprovalsQueue instruments={list} />}
      <Waitlist instruments={list} />
      <MyBookings />
    </div>
  );
}
