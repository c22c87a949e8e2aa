import { useParams } from "react-router";
import { ManageInstrumentPage } from "../features/registry";

export default function ManageInstrumentRoute() {
  const { instrumentId = "" } = useParams();
  return <ManageInstrumentPage key={instrumentId} instrumentId={instrumentId} />;
}
