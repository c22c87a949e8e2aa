import { useParams } from "react-router";
import { InstrumentEditPage } from "../features/registry";

export default function InstrumentEditRoute() {
  const { instrumentId = "" } = useParams();
  return <InstrumentEditPage key={instrumentId} instrumentId={instrumentId} />;
}
