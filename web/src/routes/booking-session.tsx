import { BookingSessionPage } from "../features/booking";

export default function BookingSessionRoute() {
  return <BookingSessionPage />;
}
