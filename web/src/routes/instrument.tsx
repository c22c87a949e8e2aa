import { useParams } from "react-router";
import { InstrumentPage } from "../features/instruments";

export default function InstrumentRoute() {
  const { instrumentId = "" } = useParams();
  // Keyed so that moving between instruments starts from a clean page state.
  return <InstrumentPage key={instrumentId} instrumentId={instrumentId} />;
}
