import { useParams } from "react-router";
import { PublicInstrumentPage } from "../features/catalogue";

export default function CatalogueInstrumentRoute() {
  const { instrumentId = "" } = useParams();
  return <PublicInstrumentPage key={instrumentId} instrumentId={instrumentId} />;
}
