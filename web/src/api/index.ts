export { ApiClient, ApiError, localStorageTokens, memoryTokens } from "./client";
export type { ApiClientOptions, FetchFn, TokenStore } from "./client";
export { ApiProvider, useApi } from "./context";
export * from "./types";
