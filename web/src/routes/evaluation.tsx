import { EvaluationPage } from "../features/evaluation";

export default function EvaluationRoute() {
  return <EvaluationPage />;
}
