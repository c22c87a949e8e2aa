import type { CurrentUser, Instrument, InstrumentDetail, LatestValue, Problem, TokenResponse } from "./types";

/** An HTTP error from the server, carrying its problem details. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
  }
}

/** Where the bearer token lives between page loads. */
export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

const TOKEN_KEY = "labshare.token";

export const localStorageTokens: TokenStore = {
  get: () => window.localStorage.getItem(TOKEN_KEY),
  set: (token) => window.localStorage.setItem(TOKEN_KEY, token),
  clear: () => window.localStorage.removeItem(TOKEN_KEY),
};

/** An in-memory store, for tests and for embedding without persistence. */
export function memoryTokens(initial: string | null = null): TokenStore {
  let token = initial;
  return {
    get: () => token,
    set: (value) => {
      token = value;
    },
    clear: () => {
      token = null;
    },
  };
}

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** Prefix of every path, e.g. "" for same origin. */
  baseUrl?: string;
  /** The transport; tests pass an in-memory fake instead of patching globals. */
  fetch?: FetchFn;
  tokens?: TokenStore;
  /** Called when the server rejects our token, so the app can send the user to /login. */
  onUnauthorized?: () => void;
}

const API = "/api/v1";

async function toProblem(response: Response): Promise<Problem> {
  const fallback: Problem = {
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
  };
  const text = await response.text().catch(() => "");
  if (!text) return fallback;
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object" && "title" in body) {
      return { ...fallback, ...(body as Partial<Problem>), status: response.status };
    }
    // FastAPI's default {"detail": "..."} shape, should a route bypass the problem handler.
    if (body && typeof body === "object" && "detail" in body) {
      const detail = (body as { detail: unknown }).detail;
      return { ...fallback, detail: typeof detail === "string" ? detail : JSON.stringify(detail) };
    }
  } catch {
    // Not JSON (a proxy's HTML error page, say): the status line is all we can show.
  }
  return fallback;
}

export class ApiClient {
  readonly tokens: TokenStore;
  private readonly baseUrl: string;
  private readonly fetchFn: FetchFn;
  private onUnauthorized: (() => void) | undefined;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? "";
    this.fetchFn = options.fetch ?? ((input, init) => window.fetch(input, init));
    this.tokens = options.tokens ?? localStorageTokens;
    this.onUnauthorized = options.onUnauthorized;
  }

  setUnauthorizedHandler(handler: (() => void) | undefined): void {
    this.onUnauthorized = handler;
  }

  isAuthenticated(): boolean {
    return this.tokens.get() !== null;
  }

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    headers.set("Accept", "application/json, application/problem+json");
    const token = this.tokens.get();
    if (token) headers.set("Authorization", `Bearer ${token}`);

    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, { ...init, headers });
    } catch (cause) {
      throw new ApiError({
        title: "Network error",
        status: 0,
        detail: cause instanceof Error ? cause.message : String(cause),
      });
    }
    if (!response.ok) {
      const problem = await toProblem(response);
      if (response.status === 401 && token) {
        this.tokens.clear();
        this.onUnauthorized?.();
      }
      throw new ApiError(problem);
    }
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** Exchanges email and password for a bearer token and keeps it. */
  async login(email: string, password: string): Promise<TokenResponse> {
    const body = new URLSearchParams({ username: email, password });
    this.tokens.clear();
    const token = await this.request<TokenResponse>(`${API}/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    this.tokens.set(token.access_token);
    return token;
  }

  logout(): void {
    this.tokens.clear();
  }

  me(): Promise<CurrentUser> {
    return this.request(`${API}/auth/me`);
  }

  listInstruments(): Promise<Instrument[]> {
    return this.request(`${API}/instruments`);
  }

  getInstrument(id: string): Promise<InstrumentDetail> {
    return this.request(`${API}/instruments/${encodeURIComponent(id)}`);
  }

  latestValues(instrumentId: string): Promise<LatestValue[]> {
    return this.request(`${API}/instruments/${encodeURIComponent(instrumentId)}/latest`);
  }

  /** Any JSON endpoint under /api/v1; domain features build their typed calls on it. */
  call<T>(path: string, init: RequestInit = {}): Promise<T> {
    return this.request<T>(`${API}${path}`, init);
  }

  /** The process health document; `environment` is read when the server includes it. */
  health(): Promise<{ status?: string; environment?: string }> {
    return this.request("/healthz");
  }
}
