import { InstrumentNewPage } from "../features/registry";

export default function InstrumentNewRoute() {
  return <InstrumentNewPage />;
}
