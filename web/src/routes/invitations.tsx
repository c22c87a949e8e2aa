import { InvitationsPage } from "../features/registration";

export default function InvitationsRoute() {
  return <InvitationsPage />;
}
