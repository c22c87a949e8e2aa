import { ProficiencyPage } from "../features/proficiency";

export default function ProficiencyRoute() {
  return <ProficiencyPage />;
}
