import { describe, expect, it, vi } from "vitest";
import { FakeServer, json, problem } from "../test/fakeServer";
import { ApiClient, ApiError, memoryTokens } from "./client";

describe("ApiClient", () => {
  it("raises the server's problem details as an ApiError", async () => {
    const server = new FakeServer().on(
      "GET /api/v1/instruments/x",
      problem(404, "Not Found", "instrument x not found"),
    );
    const api = new ApiClient({ fetch: server.fetch, tokens: memoryTokens("t") });
    const error = await api.getInstrument("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).problem.detail).toBe("instrument x not found");
  });

  it("forgets a rejected token and reports it once so the app can show the login page", async () => {
    const server = new FakeServer().on("GET /api/v1/auth/me", problem(401, "Unauthorized", "token expired"));
    const tokens = memoryTokens("old");
    const onUnauthorized = vi.fn();
    const api = new ApiClient({ fetch: server.fetch, tokens, onUnauthorized });

    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    expect(tokens.get()).toBeNull();
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(api.isAuthenticated()).toBe(false);
  });

  it("does not treat wrong credentials at login as an expired session", async () => {
    const server = new FakeServer().on(
      "POST /api/v1/auth/token",
      problem(401, "Unauthorized", "bad password"),
    );
    const onUnauthorized = vi.fn();
    const api = new ApiClient({ fetch: server.fetch, tokens: memoryTokens(), onUnauthorized });
    await expect(api.login("a@b.c", "x")).rejects.toMatchObject({ problem: { detail: "bad password" } });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("keeps the status line when an error body is not JSON", async () => {
    const server = new FakeServer().on(
      "GET /api/v1/instruments",
      new Response("<html>Bad Gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    );
    const api = new ApiClient({ fetch: server.fetch, tokens: memoryTokens("t") });
    await expect(api.listInstruments()).rejects.toMatchObject({
      status: 502,
      problem: { title: "Bad Gateway" },
    });
  });

  it("turns a failed connection into an ApiError with status 0", async () => {
    const api = new ApiClient({
      fetch: () => Promise.reject(new TypeError("Failed to fetch")),
      tokens: memoryTokens("t"),
    });
    await expect(api.listInstruments()).rejects.toMatchObject({
      status: 0,
      problem: { detail: "Failed to fetch" },
    });
  });

  it("sends no Authorization header before login", async () => {
    const server = new FakeServer().on("GET /healthz", json({ status: "ok" }));
    const api = new ApiClient({ fetch: server.fetch, tokens: memoryTokens() });
    await api.health();
    expect(server.requests[0]?.headers.has("Authorization")).toBe(false);
  });

  it("downloads a file with the token and its served name, and raises the problem when refused", async () => {
    const server = new FakeServer()
      .on(
        "GET /api/v1/bookings/ical",
        new Response("BEGIN:VCALENDAR", {
          headers: {
            "Content-Type": "text/calendar",
            "Content-Disposition": 'attachment; filename="labshare.ics"',
          },
        }),
      )
      .on("GET /api/v1/statements/x.csv", problem(403, "Not allowed", "not your organisation"));
    const api = new ApiClient({ fetch: server.fetch, tokens: memoryTokens("t") });
    const file = await api.download("/bookings/ical");
    expect(file.filename).toBe("labshare.ics");
    expect(await file.blob.text()).toBe("BEGIN:VCALENDAR");
    expect(server.requests[0]?.headers.get("Authorization")).toBe("Bearer t");
    await expect(api.download("/statements/x.csv")).rejects.toMatchObject({
      status: 403,
      problem: { detail: "not your organisation" },
    });
  });
});
