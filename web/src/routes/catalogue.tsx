import { CataloguePage } from "../features/catalogue";

export default function CatalogueRoute() {
  return <CataloguePage />;
}
