import { RegistrationsPage } from "../features/registration";

export default function RegistrationsRoute() {
  return <RegistrationsPage />;
}
