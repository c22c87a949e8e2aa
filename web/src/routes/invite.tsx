import { useParams } from "react-router";
import { AcceptInvitationPage } from "../features/registration";

export default function InviteRoute() {
  const { token = "" } = useParams();
  return <AcceptInvitationPage key={token} token={token} />;
}
