import { InspectionPage } from "../features/inspection";

export default function InspectionRoute() {
  return <InspectionPage />;
}
