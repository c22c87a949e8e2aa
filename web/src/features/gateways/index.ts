export type { GatewayHealth } from "./api";
export { GatewaysPage } from "./GatewaysPage";
export { formatLag, healthProblems } from "./health";
