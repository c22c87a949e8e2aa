import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";

export type Notification = Schemas["NotificationOut"];

const KEY = ["notifications"] as const;

/** The signed-in user's notifications, newest first; refreshed every minute while open. */
export function useNotifications() {
  const api = useApi();
  return useQuery({
    queryKey: KEY,
    queryFn: async () => (await api.http.GET("/api/v1/notifications")).data!,
    refetchInterval: 60_000,
  });
}

/** Marks the given notifications read (one request each; the list is refreshed after). */
export function useMarkRead() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (ids: string[]) => {
      for (const id of ids) {
        await api.http.POST("/api/v1/notifications/{notification_id}/read", {
          params: { path: { notification_id: id } },
        });
      }
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: KEY }),
  });
}

export type EmailPreferences = Schemas["EmailPreferencesOut"];
export type EmailPreference = Schemas["EmailPreferenceOut"];

const PREFS_KEY = ["notifications", "preferences"] as const;

/** Per notification kind: whether it is also e-mailed, and whether the user may change that. */
export function useEmailPreferences() {
  const api = useApi();
  return useQuery({
    queryKey: PREFS_KEY,
    queryFn: async () => (await api.http.GET("/api/v1/notifications/preferences")).data!,
  });
}

/** Switches e-mail on or off for the kinds given; the answer replaces the cached settings. */
export function useSetEmailPreferences() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (preferences: { kind: string; email_enabled: boolean }[]) =>
      (await api.http.PUT("/api/v1/notifications/preferences", { body: { preferences } })).data!,
    onSuccess: (data) => queryClient.setQueryData(PREFS_KEY, data),
  });
}
