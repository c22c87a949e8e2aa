export * from "./api";
export { InstrumentRegistryPanel } from "./InstrumentRegistryPanel";
export { ManageInstrumentPage } from "./ManageInstrumentPage";
