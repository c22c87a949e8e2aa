import { ImportInstrumentsPage } from "../features/registry";

export default function InstrumentImportRoute() {
  return <ImportInstrumentsPage />;
}
