export * from "./api";
export { AvailabilityCalendar } from "./AvailabilityCalendar";
export { BookingForm } from "./BookingForm";
export { BookingsPage } from "./BookingsPage";
export { LabDayPage } from "./LabDayPage";
export { BookingSessionPage } from "./BookingSessionPage";
export { downloadWithToken, sessionDataPath } from "./download";
export { beijingMidnight, dayStatus, freeMinutesOn, slotsOn, weekDays } from "./calendar";
export type { DayStatus } from "./calendar";
export { ApprovalsQueue } from "./ApprovalsQueue";
export { MyBookings } from "./MyBookings";
export { QuoteBreakdown } from "./QuoteBreakdown";
export { quoteAddsUp, sumYuan } from "./quote";
export {
  bookingsTitle,
  chargeKindText,
  dayStatusText,
  text as bookingText,
  useText as useBookingText,
} from "./text";
