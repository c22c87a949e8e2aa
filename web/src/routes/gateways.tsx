import { GatewaysPage } from "../features/gateways";

export default function GatewaysRoute() {
  return <GatewaysPage />;
}
