export { formatLag, GatewaysPage } from "./GatewaysPage";
export type { GatewayHealth } from "./GatewaysPage";
