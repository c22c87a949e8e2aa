import { StatementsPage } from "../features/billing";

export default function StatementsRoute() {
  return <StatementsPage />;
}
