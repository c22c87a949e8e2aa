export { CataloguePage, type CatalogueItem } from "./CataloguePage";
export * from "./filters";
