export { ComplaintsPage } from "./ComplaintsPage";
