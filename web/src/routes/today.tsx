import { LabDayPage } from "../features/booking";

export default function TodayRoute() {
  return <LabDayPage />;
}
