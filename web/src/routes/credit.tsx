import { CreditPage } from "../features/credit";

export default function CreditRoute() {
  return <CreditPage />;
}
