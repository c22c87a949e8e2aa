import type { FetchFn } from "../api";

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string, with its leading "?" (empty when there is none). */
  query: string;
  headers: Headers;
  body: string | null;
}

type Handler = (request: RecordedRequest) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export function problem(status: number, title: string, detail?: string): Response {
  return new Response(JSON.stringify({ type: "about:blank", title, status, detail, instance: null }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });
}

/**
 * An in-memory stand-in for the HTTP API: routes "METHOD /path" to handlers and records every
 * request, so tests exercise the real client code without patching globals.
 */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();

  on(route: string, handler: Handler | Response | unknown): this {
    const fn: Handler =
      typeof handler === "function"
        ? (handler as Handler)
        : handler instanceof Response
          ? () => (handler as Response).clone()
          : () => json(handler);
    this.routes.set(route, fn);
    return this;
  }

  readonly fetch: FetchFn = async (input, init) => {
    const url = new URL(input, "http://labshare.test");
    const body = init?.body;
    const request: RecordedRequest = {
      method: (init?.method ?? "GET").toUpperCase(),
      path: url.pathname,
      query: url.search,
      headers: new Headers(init?.headers),
      body: body === undefined || body === null ? null : typeof body === "string" ? body : String(body),
    };
    this.requests.push(request);
    const handler = this.routes.get(`${request.method} ${request.path}`);
    if (!handler) return problem(404, "Not Found", `no fake route for ${request.method} ${request.path}`);
    return handler(request);
  };

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }
}
