import { useQueryClient } from "@tanstack/react-query";
import { useEffect, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { useApi } from "../../api";
import { useLatest } from "../../lib/useLatest";

/** The login page, returning to `location` afterwards (the board needs no ?next=). */
export function loginPath(location: { pathname: string; search: string }): string {
  const next = `${location.pathname}${location.search}`;
  return next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

/** Renders its children for a signed-in user; sends everyone else, and any 401, to /login. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const api = useApi();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  // The handler outlives renders; it must send the user back to where they are now.
  const here = useLatest(location);

  useEffect(() => {
    api.setUnauthorizedHandler(() => {
      queryClient.clear();
      navigate(loginPath(here.current), { replace: true });
    });
    return () => api.setUnauthorizedHandler(undefined);
  }, [api, navigate, queryClient, here]);

  if (!api.isAuthenticated()) return <Navigate to={loginPath(location)} replace />;
  return <>{children}</>;
}
