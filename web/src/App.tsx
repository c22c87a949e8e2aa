import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { ApiClient, ApiError, ApiProvider } from "./api";
import { I18nProvider, type Locale } from "./i18n";
import { AntdProvider } from "./lib/antd";

/** Client errors (4xx) will not change on retry; network and server errors get two more tries. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, refetchOnWindowFocus: true },
      mutations: { retry: false },
    },
  });
}

export interface AppProvidersProps {
  children: ReactNode;
  api?: ApiClient;
  queryClient?: QueryClient;
  locale?: Locale;
}

/** Everything a page needs around it; tests pass their own client and fake transport. */
export function AppProviders({ children, api, queryClient, locale }: AppProvidersProps) {
  const [client] = useState(() => api ?? new ApiClient());
  const [queries] = useState(() => queryClient ?? createQueryClient());
  return (
    <ApiProvider client={client}>
      <QueryClientProvider client={queries}>
        <I18nProvider initialLocale={locale}>
          <AntdProvider>{children}</AntdProvider>
        </I18nProvider>
      </QueryClientProvider>
    </ApiProvider>
  );
}
