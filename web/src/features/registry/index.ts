export * from "./api";
export { InstrumentRegistryPanel } from "./InstrumentRegistryPanel";
export { ManageInstrumentPage } from "./ManageInstrumentPage";
export {
  EditRecordLink,
  InstrumentEditPage,
  InstrumentNewPage,
  RegisterInstrumentLink,
} from "./InstrumentEditor";
export { ImportInstrumentsPage } from "./ImportInstrumentsPage";
