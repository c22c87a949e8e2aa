export { EvaluationPage } from "./EvaluationPage";
