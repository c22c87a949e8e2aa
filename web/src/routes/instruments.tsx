import { InstrumentBoard } from "../features/instruments";

export default function InstrumentsRoute() {
  return <InstrumentBoard />;
}
