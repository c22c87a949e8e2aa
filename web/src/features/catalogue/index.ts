export { CataloguePage, type CatalogueItem } from "./CataloguePage";
export * from "./filters";
export { PublicInstrumentPage, bookingPath } from "./PublicInstrumentPage";
export { catalogueText, useCatalogueText } from "./text";
