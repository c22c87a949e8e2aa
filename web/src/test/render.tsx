import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { ApiClient, memoryTokens } from "../api";
import { AppProviders, createQueryClient } from "../App";
import type { Locale } from "../i18n";
import { routes } from "../router";
import { FakeServer } from "./fakeServer";

export interface RenderOptions {
  server?: FakeServer;
  token?: string | null;
  locale?: Locale;
}

function setup({ server = new FakeServer(), token = null }: RenderOptions) {
  const tokens = memoryTokens(token);
  const api = new ApiClient({ fetch: server.fetch, tokens });
  const queryClient = createQueryClient();
  return { server, tokens, api, queryClient };
}

/** Renders one component inside the app's providers, talking to a fake server. */
export function renderWithApp(ui: ReactElement, options: RenderOptions = {}) {
  const ctx = setup(options);
  const result = render(
    <AppProviders api={ctx.api} queryClient={ctx.queryClient} locale={options.locale}>
      {ui}
    </AppProviders>,
  );
  return { ...ctx, ...result };
}

/** Renders the whole app at a path, with the real route table in a memory history. */
export function renderRoute(path: string, options: RenderOptions = {}) {
  const ctx = setup(options);
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const result = render(
    <AppProviders api={ctx.api} queryClient={ctx.queryClient} locale={options.locale}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { ...ctx, router, ...result };
}
