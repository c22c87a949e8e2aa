export * from "./api";
export { AvailabilityCalendar } from "./AvailabilityCalendar";
export { BookingForm } from "./BookingForm";
export { BookingsPage } from "./BookingsPage";
export { beijingMidnight, freeMinutesOn, slotsOn, weekDays } from "./calendar";
export { Approvals, MyBookings } from "./MyBookings";
export { QuoteBreakdown } from "./QuoteBreakdown";
export { quoteAddsUp, sumYuan } from "./quote";
export { text as bookingText, useText as useBookingText } from "./text";
