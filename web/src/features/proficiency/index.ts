export { ProficiencyPage } from "./ProficiencyPage";
