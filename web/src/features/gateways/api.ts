import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, useApi } from "../../api";
import type { Schemas } from "../../api/types";
import { saveBlob } from "../../lib/saveBlob";

export type GatewayHealth = Schemas["GatewayHealthOut"];
export type Gateway = Schemas["GatewayPublic"];
export type GatewayCreated = Schemas["GatewayCreated"];
export type GatewayChannel = Schemas["GatewayChannel"];
export type GatewayDocument = Schemas["DocumentOut"];
export type PushResult = Schemas["PushResult"];

const keys = {
  health: ["gateways", "health"] as const,
  channels: (id: string) => ["gateways", id, "channels"] as const,
  config: (id: string) => ["gateways", id, "config"] as const,
  calibration: (id: string) => ["gateways", id, "calibration-set"] as const,
};

export function useGatewayHealth() {
  const api = useApi();
  return useQuery({
    queryKey: keys.health,
    queryFn: async () => (await api.http.GET("/api/v1/gateways/health")).data!,
    refetchInterval: 10_000,
  });
}

export function useRegisterGateway() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: { key: string; name: string }) =>
      (await api.http.POST("/api/v1/gateways", { body })).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.health }),
  });
}

export function useRotateSecret() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (gatewayId: string) =>
      (
        await api.http.POST("/api/v1/gateways/{gateway_id}/secret", {
          params: { path: { gateway_id: gatewayId } },
        })
      ).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.health }),
  });
}

export function useRetireGateway() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (gatewayId: string) =>
      (
        await api.http.POST("/api/v1/gateways/{gateway_id}/retire", {
          params: { path: { gateway_id: gatewayId } },
        })
      ).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.health }),
  });
}

/** Saves the gateway's edge-agent configuration file (its secret is never in it). */
export function useDownloadAgentConfig() {
  const api = useApi();
  return useMutation({
    mutationFn: async (gateway: { id: string; key: string }) => {
      const { blob, filename } = await api.download(`/gateways/${gateway.id}/agent-config`);
      saveBlob(blob, filename ?? `${gateway.key}.yaml`);
    },
  });
}

export function useAgentConfigText(gatewayId: string) {
  const api = useApi();
  return useMutation({
    mutationFn: async () => (await api.download(`/gateways/${gatewayId}/agent-config`)).blob.text(),
  });
}

export function useChannels(gatewayId: string) {
  const api = useApi();
  return useQuery({
    queryKey: keys.channels(gatewayId),
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/gateways/{gateway_id}/channels", {
          params: { path: { gateway_id: gatewayId } },
        })
      ).data!,
  });
}

export function useInstitutionInstruments(organisationId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["instruments", "list"],
    queryFn: async () => (await api.http.GET("/api/v1/instruments")).data!,
    select: (instruments) => instruments.filter((i) => i.organisation_id === organisationId),
  });
}

export interface ChannelInput {
  instrument_id: string;
  gateway_id: string;
  device_key: string;
  point_key: string;
  name: string;
  name_en?: string | null;
  canonical_unit: string;
}

export function useAddChannel(gatewayId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ instrument_id, ...body }: ChannelInput) =>
      (
        await api.http.POST("/api/v1/instruments/{instrument_id}/channels", {
          params: { path: { instrument_id } },
          body: { ...body, name_en: body.name_en || null },
        })
      ).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.channels(gatewayId) }),
  });
}

/** What a correction may change: names, the instrument, and the unit while nothing is stored. */
export interface ChannelChange {
  name?: string;
  name_en?: string | null;
  instrument_id?: string;
  canonical_unit?: string;
}

export function useUpdateChannel(gatewayId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, change }: { id: number; change: ChannelChange }) =>
      (
        await api.http.PATCH("/api/v1/channels/{channel_id}", {
          params: { path: { channel_id: id } },
          body: change,
        })
      ).data!,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["instruments"] });
      return queryClient.invalidateQueries({ queryKey: keys.channels(gatewayId) });
    },
  });
}

/** Deletes a channel that has no readings; the server refuses one with readings (409). */
export function useDeleteChannel(gatewayId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      await api.http.DELETE("/api/v1/channels/{channel_id}", { params: { path: { channel_id: id } } });
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["instruments"] });
      return queryClient.invalidateQueries({ queryKey: keys.channels(gatewayId) });
    },
  });
}

/** The stored configuration, or null when none was pushed yet. */
/** How often an unconfirmed configuration is looked at again. */
export const CONFIG_POLL_MS = 3_000;

export function useConfig(gatewayId: string) {
  const api = useApi();
  return useQuery({
    queryKey: keys.config(gatewayId),
    queryFn: async () => {
      try {
        return (
          await api.http.GET("/api/v1/gateways/{gateway_id}/config", {
            params: { path: { gateway_id: gatewayId } },
          })
        ).data!;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    // A pushed document the gateway has not yet reported running: ask again until it does, so
    // the tab turns from "not yet running" to "running" while the manager watches.
    refetchInterval: (query) => {
      const stored = query.state.data;
      return stored && stored.pushed_at && stored.running === false ? CONFIG_POLL_MS : false;
    },
  });
}

export function usePushConfig(gatewayId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (document: string) =>
      (
        await api.http.PUT("/api/v1/gateways/{gateway_id}/config", {
          params: { path: { gateway_id: gatewayId } },
          body: { document },
        })
      ).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.config(gatewayId) }),
  });
}

export function useCalibrationSet(gatewayId: string) {
  const api = useApi();
  return useQuery({
    queryKey: keys.calibration(gatewayId),
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/gateways/{gateway_id}/calibration-set", {
          params: { path: { gateway_id: gatewayId } },
        })
      ).data!,
  });
}

export function usePushCalibration(gatewayId: string) {
  const api = useApi();
  return useMutation({
    mutationFn: async () =>
      (
        await api.http.POST("/api/v1/gateways/{gateway_id}/calibration/push", {
          params: { path: { gateway_id: gatewayId } },
        })
      ).data!,
  });
}
