import { ComplaintsPage } from "../features/complaints";

export default function ComplaintsRoute() {
  return <ComplaintsPage />;
}
