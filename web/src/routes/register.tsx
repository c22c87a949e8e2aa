import { RegisterPage } from "../features/registration";

export default function RegisterRoute() {
  return <RegisterPage />;
}
