import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";

export type RecordOut = Schemas["InstrumentRecord"];
export type RecordUpdate = Schemas["InstrumentRecordUpdate"];
export type InstrumentCreate = Schemas["InstrumentCreate"];
export type InstrumentUpdate = Schemas["InstrumentUpdate"];
export type PolicyIn = Schemas["PolicyIn"];
export type PolicyOut = Schemas["PolicyOut"];
export type CostModelIn = Schemas["CostModelIn"];
export type CostModelOut = Schemas["CostModelOut"];
export type Lab = Schemas["LabPublic"];
export type BlackoutCreate = Schemas["BlackoutCreate"];

/** The record as the editor reads it: the catalogue fields, the record fields, the hours. */
export function useEditableRecord(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["registry", instrumentId, "record"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/instruments/{instrument_id}/record", {
          params: { path: { instrument_id: instrumentId } },
        })
      ).data!,
  });
}

export function useLabs() {
  const api = useApi();
  return useQuery({
    queryKey: ["labs"],
    queryFn: async () => (await api.http.GET("/api/v1/labs")).data!,
  });
}

export function usePolicy(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", instrumentId, "policy"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/instruments/{instrument_id}/booking-policy", {
          params: { path: { instrument_id: instrumentId } },
        })
      ).data!,
  });
}

export function useCostModel(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["billing", instrumentId, "cost-model"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/instruments/{instrument_id}/cost-model", {
          params: { path: { instrument_id: instrumentId } },
        })
      ).data!,
  });
}

export type Blackout = Schemas["BlackoutOut"];

/** The instrument's blackouts not yet over, by start (lab staff). */
export function useBlackouts(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["booking", instrumentId, "blackouts"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/instruments/{instrument_id}/blackouts", {
          params: { path: { instrument_id: instrumentId } },
        })
      ).data!,
  });
}

export function useDeleteBlackout(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (blackoutId: string) => {
      await api.http.DELETE("/api/v1/blackouts/{blackout_id}", {
        params: { path: { blackout_id: blackoutId } },
      });
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["booking", instrumentId, "blackouts"] });
      void queryClient.invalidateQueries({ queryKey: ["registry", instrumentId, "history"] });
    },
  });
}

export function useCreateInstrument() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ instrument, record }: { instrument: InstrumentCreate; record: RecordUpdate }) => {
      const created = (await api.http.POST("/api/v1/instruments", { body: instrument })).data!;
      await api.http.PATCH("/api/v1/instruments/{instrument_id}/record", {
        params: { path: { instrument_id: created.id } },
        body: record,
      });
      return created;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["instruments"] }),
  });
}

export function useUpdateInstrument(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const path = { params: { path: { instrument_id: instrumentId } } };
  return useMutation({
    mutationFn: async ({ instrument, record }: { instrument: InstrumentUpdate; record: RecordUpdate }) => {
      await api.http.PATCH("/api/v1/instruments/{instrument_id}", { ...path, body: instrument });
      return (await api.http.PATCH("/api/v1/instruments/{instrument_id}/record", { ...path, body: record }))
        .data!;
    },
    onSuccess: (saved) => {
      queryClient.setQueryData(["registry", instrumentId, "record"], saved);
      void queryClient.invalidateQueries({ queryKey: ["instruments"] });
    },
  });
}

export function useSaveHours(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (hours: Record<string, string[][]> | null) =>
      (
        await api.http.PATCH("/api/v1/instruments/{instrument_id}/record", {
          params: { path: { instrument_id: instrumentId } },
          body: { opening_hours: hours },
        })
      ).data!,
    onSuccess: (saved) => {
      queryClient.setQueryData(["registry", instrumentId, "record"], saved);
      void queryClient.invalidateQueries({ queryKey: ["booking", instrumentId] });
    },
  });
}

export function useSavePolicy(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: PolicyIn) =>
      (
        await api.http.PUT("/api/v1/instruments/{instrument_id}/booking-policy", {
          params: { path: { instrument_id: instrumentId } },
          body,
        })
      ).data!,
    onSuccess: (saved) => queryClient.setQueryData(["booking", instrumentId, "policy"], saved),
  });
}

export function useSaveCostModel(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: CostModelIn) =>
      (
        await api.http.PUT("/api/v1/instruments/{instrument_id}/cost-model", {
          params: { path: { instrument_id: instrumentId } },
          body,
        })
      ).data!,
    onSuccess: (saved) => queryClient.setQueryData(["billing", instrumentId, "cost-model"], saved),
  });
}

export function useAddBlackout(instrumentId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: BlackoutCreate) =>
      (
        await api.http.POST("/api/v1/instruments/{instrument_id}/blackouts", {
          params: { path: { instrument_id: instrumentId } },
          body,
        })
      ).data!,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["booking", instrumentId, "blackouts"] });
      void queryClient.invalidateQueries({ queryKey: ["registry", instrumentId, "history"] });
    },
  });
}

export type AuditEntry = Schemas["AuditEntry"];

/** One instrument's change history, newest first: its own entries and its records'. */
export function useInstrumentHistory(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["registry", instrumentId, "history"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/audit", {
          params: { query: { instrument_id: instrumentId, limit: 200 } },
        })
      ).data!,
  });
}

export type ImportReport = Schemas["ImportReport"];

function importForm(file: File): FormData {
  const form = new FormData();
  form.append("file", file);
  return form;
}

/** Checks (dry run) or stores a filled import template for one lab; all rows or none. */
export function useImportInstruments() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ labId, file, dryRun }: { labId: string; file: File; dryRun: boolean }) =>
      api.call<ImportReport>(
        `/instruments/import?lab_id=${encodeURIComponent(labId)}&dry_run=${dryRun ? "true" : "false"}`,
        { method: "POST", body: importForm(file) },
      ),
    onSuccess: (report) => {
      if (report.committed) void queryClient.invalidateQueries({ queryKey: ["instruments"] });
    },
  });
}

/** The template, and the uploaded rows back with their errors marked, as workbooks. */
export function useImportFiles() {
  const api = useApi();
  return {
    template: () => api.download("/instruments/import/template"),
    errorReport: (labId: string, file: File) =>
      api.download(`/instruments/import/report?lab_id=${encodeURIComponent(labId)}`, {
        method: "POST",
        body: importForm(file),
      }),
  };
}
