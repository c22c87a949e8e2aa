import { useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useCurrentUser } from "../auth";
import { useInstruments } from "../instruments";
import { AvailabilityCalendar } from "./AvailabilityCalendar";
import { BookingForm, type BookingDraft } from "./BookingForm";
import { Approvals, MyBookings } from "./MyBookings";

const HOUR_MS = 3600 * 1000;

/** Availability across instruments, the booking flow with its quote, my bookings, approvals. */
export function BookingsPage() {
  const me = useCurrentUser();
  const instruments = useInstruments();
  // Each pick in the grid starts a fresh form (its key); edits in the form never snap back.
  const [draft, setDraft] = useState<(BookingDraft & { pick: number }) | null>(null);
  if (instruments.isPending || me.isPending) return <Loading />;
  if (instruments.error) return <ErrorNotice error={instruments.error} />;
  const list = instruments.data;
  const staff = me.data && ["lab_staff", "lab_manager", "platform_admin"].includes(me.data.role);
  return (
    <div className="page">
      <AvailabilityCalendar
        instruments={list}
        onPick={(instrumentId, slot) => {
          const start = Date.parse(slot.start);
          const end = Math.min(Date.parse(slot.end), start + 2 * HOUR_MS);
          setDraft((current) => ({
            instrumentId,
            start: slot.start,
            end: new Date(end).toISOString(),
            pick: (current?.pick ?? 0) + 1,
          }));
        }}
      />
      {draft && <BookingForm key={draft.pick} instruments={list} draft={draft} />}
      <MyBookings instruments={list} />
      {staff && <Approvals instruments={list} />}
    </div>
  );
}
