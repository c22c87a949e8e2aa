import { useParams, useSearchParams } from "react-router";
import { InstitutionBoardPage, LiveBoard } from "../features/live/LiveBoard";

export default function BoardRoute() {
  const { labId } = useParams();
  const [search] = useSearchParams();
  const institution = search.get("institution");
  if (!labId && institution) return <InstitutionBoardPage key={institution} organisationId={institution} />;
  return <LiveBoard key={labId ?? "first"} labId={labId} />;
}
