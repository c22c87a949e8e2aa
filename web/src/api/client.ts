import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema";
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
  /** Origin every path is resolved against; the page's own by default. */
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

/** The typed response data of an openapi-fetch call; errors never get here (they throw ApiError). */
function ok<T>(result: { data?: T }): T {
  return result.data as T;
}

/**
 * The server's API. `http` is an openapi-fetch client typed by the generated schema
 * (`api.http.GET("/api/v1/bookings/{booking_id}", { params: { path: { booking_id } } })`);
 * every request goes through one transport that adds the bearer token, turns a non-2xx answer
 * into an {@link ApiError} with the RFC 9457 problem, and reports a refused token.
 */
export class ApiClient {
  readonly tokens: TokenStore;
  readonly http: Client<paths>;
  private readonly baseUrl: string;
  private readonly fetchFn: FetchFn;
  private onUnauthorized: (() => void) | undefined;

  constructor(options: ApiClientOptions = {}) {
    const baseUrl = options.baseUrl ?? window.location.origin;
    this.baseUrl = baseUrl;
    this.fetchFn = options.fetch ?? ((input, init) => window.fetch(input, init));
    this.tokens = options.tokens ?? localStorageTokens;
    this.onUnauthorized = options.onUnauthorized;
    this.http = createClient<paths>({ baseUrl, fetch: (request) => this.send(request) });
  }

  setUnauthorizedHandler(handler: (() => void) | undefined): void {
    this.onUnauthorized = handler;
  }

  isAuthenticated(): boolean {
    return this.tokens.get() !== null;
  }

  private async send(request: Request): Promise<Response> {
    const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body !== null;
    return this.transport(request.url, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? await request.text() : undefined,
      signal: request.signal,
    });
  }

  /** Adds the token, sends, and throws an ApiError for anything but a 2xx answer. */
  private async transport(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("Accept")) headers.set("Accept", "application/json, application/problem+json");
    const token = this.tokens.get();
    if (token) headers.set("Authorization", `Bearer ${token}`);

    let response: Response;
    try {
      response = await this.fetchFn(url, { ...init, headers });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
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
    return response;
  }

  /** Exchanges email and password for a bearer token and keeps it. */
  async login(email: string, password: string): Promise<TokenResponse> {
    this.tokens.clear();
    const token = ok(
      await this.http.POST("/api/v1/auth/token", {
        body: { username: email, password, scope: "" },
        // OAuth2 password form: only the fields the server needs, form-encoded.
        bodySerializer: (body) =>
          new URLSearchParams({ username: body.username, password: body.password }).toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    );
    this.tokens.set(token.access_token);
    return token;
  }

  logout(): void {
    this.tokens.clear();
  }

  async me(): Promise<CurrentUser> {
    return ok(await this.http.GET("/api/v1/auth/me"));
  }

  async listInstruments(): Promise<Instrument[]> {
    return ok(await this.http.GET("/api/v1/instruments"));
  }

  async getInstrument(id: string): Promise<InstrumentDetail> {
    return ok(
      await this.http.GET("/api/v1/instruments/{instrument_id}", { params: { path: { instrument_id: id } } }),
    );
  }

  async latestValues(instrumentId: string): Promise<LatestValue[]> {
    return ok(
      await this.http.GET("/api/v1/instruments/{instrument_id}/latest", {
        params: { path: { instrument_id: instrumentId } },
      }),
    );
  }

  /**
   * Any JSON endpoint under /api/v1 by its path, for callers not yet moved to the typed
   * `http` client.
   */
  async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.transport(`${this.baseUrl}${API}${path}`, init);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /**
   * A file the server sends (CSV, Excel, Parquet, iCal) under /api/v1, with the token, as a
   * Blob plus the file name from Content-Disposition; errors are ApiErrors like any other call.
   * `init` makes it a POST where the server answers an upload with a file (an error report).
   */
  async download(path: string, init: RequestInit = {}): Promise<{ blob: Blob; filename: string | null }> {
    const response = await this.transport(`${this.baseUrl}${API}${path}`, {
      ...init,
      headers: { Accept: "*/*", ...init.headers },
    });
    const disposition = response.headers.get("Content-Disposition") ?? "";
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    return { blob: await response.blob(), filename: match?.[1] ? decodeURIComponent(match[1]) : null };
  }

  /** The process health document; `environment` is read when the server includes it. */
  async health(): Promise<{ status?: string; environment?: string }> {
    return ok(await this.http.GET("/healthz")) as { status?: string; environment?: string };
  }
}
