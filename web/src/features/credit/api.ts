import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";

export type InstitutionClass = Schemas["InstitutionClass"];
export type Finding = Schemas["FindingOut"];
export type CorrectiveAction = Schemas["ActionOut"];
export type FindingCreate = Schemas["FindingCreate"];
export type ActionCreate = Schemas["ActionCreate"];
export type RuleSet = Schemas["RuleSet"];
export type Rule = Schemas["Rule"];
export type Condition = Schemas["Condition"];
export type CreditClass = Rule["class"];

/** A condition of the rule that gave the class, with the count it read. */
export interface Matched {
  fact: string;
  op: string;
  value: number;
  actual: number;
}

/** One dated fact of the record; `detail` holds its parts for wording in the reader's language. */
export interface Fact {
  on: string;
  kind: string;
  text: string;
  counted: string | null;
  detail?: Record<string, string | number | null>;
}

/** GET /credit/institutions/{id}: the class, the rule and counts behind it, the dated facts. */
export interface CreditRecord {
  organisation_id: string;
  organisation: string;
  credit_class: string;
  rule_version: number;
  rule_id: string | null;
  rule_text: string;
  matched: Matched[];
  counts: Record<string, number>;
  facts: Fact[];
  window_from: string | null;
}

export interface Assessment {
  credit_class: string;
  rule_version: number;
  rule_id: string | null;
  basis: { rule_text?: string; matched?: Matched[] };
  computed_at: string;
}

export interface Rules {
  version: number;
  rules: RuleSet;
}

export const creditKeys = {
  all: ["credit"] as const,
  institutions: ["credit", "institutions"] as const,
  record: (id: string) => ["credit", "record", id] as const,
  rules: ["credit", "rules"] as const,
};

export function useInstitutions() {
  const api = useApi();
  return useQuery({
    queryKey: creditKeys.institutions,
    queryFn: async () => (await api.http.GET("/api/v1/credit/institutions")).data!,
  });
}

export function useRecord(organisationId: string) {
  const api = useApi();
  const path = { organisation_id: organisationId };
  const record = useQuery({
    queryKey: [...creditKeys.record(organisationId), "record"],
    queryFn: async () =>
      (await api.http.GET("/api/v1/credit/institutions/{organisation_id}", { params: { path } }))
        .data as unknown as CreditRecord,
  });
  const history = useQuery({
    queryKey: [...creditKeys.record(organisationId), "history"],
    queryFn: async () =>
      (await api.http.GET("/api/v1/credit/institutions/{organisation_id}/history", { params: { path } }))
        .data as unknown as Assessment[],
  });
  const findings = useQuery({
    queryKey: [...creditKeys.record(organisationId), "findings"],
    queryFn: async () =>
      (await api.http.GET("/api/v1/credit/institutions/{organisation_id}/findings", { params: { path } }))
        .data!,
  });
  const actions = useQuery({
    queryKey: [...creditKeys.record(organisationId), "actions"],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/credit/institutions/{organisation_id}/corrective-actions", {
          params: { path },
        })
      ).data!,
  });
  return { record, history, findings, actions };
}

/** After a change the record, its lists and the institutions' classes are read again. */
function useRefresh() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: creditKeys.all });
}

export function useRecordFinding() {
  const api = useApi();
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (body: FindingCreate) =>
      (await api.http.POST("/api/v1/credit/findings", { body })).data as unknown as {
        id: string;
        credit_class: string;
      },
    onSuccess: refresh,
  });
}

export function useRequireAction() {
  const api = useApi();
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (body: ActionCreate) =>
      (await api.http.POST("/api/v1/credit/corrective-actions", { body })).data as unknown as { id: string },
    onSuccess: refresh,
  });
}

export function useCloseAction() {
  const api = useApi();
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async ({ id, ...body }: { id: string; closed_on: string; closure_note: string }) =>
      (
        await api.http.POST("/api/v1/credit/corrective-actions/{action_id}/close", {
          params: { path: { action_id: id } },
          body,
        })
      ).data as unknown as { id: string; credit_class: string },
    onSuccess: refresh,
  });
}

export function useRecompute() {
  const api = useApi();
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async () =>
      (await api.http.POST("/api/v1/credit/recompute")).data as unknown as {
        organisation_id: string;
        credit_class: string;
      }[],
    onSuccess: refresh,
  });
}

export function useRules() {
  const api = useApi();
  return useQuery({
    queryKey: creditKeys.rules,
    queryFn: async () => (await api.http.GET("/api/v1/credit/rules")).data as unknown as Rules,
  });
}

export function useSaveRules() {
  const api = useApi();
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (body: RuleSet) =>
      (await api.http.PUT("/api/v1/credit/rules", { body })).data as unknown as Rules,
    onSuccess: refresh,
  });
}
