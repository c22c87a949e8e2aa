import { BookingsPage } from "../features/booking";

export default function BookingsRoute() {
  return <BookingsPage />;
}
