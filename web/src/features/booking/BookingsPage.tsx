import { useState } from "react";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useCurrentUser } from "../auth";
import { useInstruments } from "../instruments";
import { AvailabilityCalendar } from "./AvailabilityCalendar";
import { BookingForm, type BookingDraft } from "./BookingForm";
import { toBeijingInput } from "./calendar";
import { Approvals, MyBookings } from "./MyBookings";

const HOUR_MS = 3600 * 1000;

/** Availability across instruments, the booking flow with its quote, my bookings, approvals. */
export function BookingsPage() {
  const me = useCurrentUser();
  const instruments = useInstruments();
  const [draft, setDraft] = useState<BookingDraft | null>(null);
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
          setDraft({
            instrumentId,
            start: toBeijingInput(slot.start),
            end: toBeijingInput(new Date(end).toISOString()),
          });
        }}
      />
      {draft && <BookingForm instruments={list} draft={draft} />}
      <MyBookings instruments={list} />
      {staff && <Approvals instruments={list} />}
    </div>
  );
}
