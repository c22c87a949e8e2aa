import { useParams } from "react-router";
import { LiveBoard } from "../features/live/LiveBoard";

export default function BoardRoute() {
  const { labId } = useParams();
  return <LiveBoard key={labId ?? "first"} labId={labId} />;
}
