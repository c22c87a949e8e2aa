export { InspectionPage } from "./InspectionPage";
