import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api";
import type { Role, Schemas } from "../../api/types";

export type RegistrationIn = Schemas["RegistrationIn"];
export type Registration = Schemas["RegistrationOut"];
export type RegistrationStatus = Registration["status"];
export type Invitation = Schemas["InvitationOut"];

export function useRegister() {
  const api = useApi();
  return useMutation({
    mutationFn: async (body: RegistrationIn) =>
      (await api.http.POST("/api/v1/registrations", { body })).data!,
  });
}

export function useRegistrations(status: RegistrationStatus | "") {
  const api = useApi();
  return useQuery({
    queryKey: ["registration", "list", status],
    queryFn: async () =>
      (await api.http.GET("/api/v1/registrations", { params: { query: status ? { status } : {} } })).data!,
  });
}

export function useDecide() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (decision: { id: string; approve: boolean; reason?: string }) => {
      const path = { registration_id: decision.id };
      const result = decision.approve
        ? await api.http.POST("/api/v1/registrations/{registration_id}/approve", { params: { path } })
        : await api.http.POST("/api/v1/registrations/{registration_id}/reject", {
            params: { path },
            body: { reason: decision.reason ?? "" },
          });
      return result.data!;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["registration", "list"] }),
  });
}

export function useInvitations() {
  const api = useApi();
  return useQuery({
    queryKey: ["registration", "invitations"],
    queryFn: async () => (await api.http.GET("/api/v1/invitations")).data!,
  });
}

export function useInvite() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: { email: string; role: Role }) =>
      (await api.http.POST("/api/v1/invitations", { body })).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["registration", "invitations"] }),
  });
}

export type Member = Schemas["MemberOut"];

export function useMembers() {
  const api = useApi();
  return useQuery({
    queryKey: ["registration", "members"],
    queryFn: async () => (await api.http.GET("/api/v1/members")).data!,
  });
}

export function useAssignRole() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ memberId, role }: { memberId: string; role: Role }) =>
      (
        await api.http.PUT("/api/v1/members/{member_id}/role", {
          params: { path: { member_id: memberId } },
          body: { role },
        })
      ).data!,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["registration", "members"] }),
  });
}

export function useInvitation(token: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["registration", "invitation", token],
    queryFn: async () =>
      (await api.http.GET("/api/v1/invitations/{token}", { params: { path: { token } } })).data!,
    retry: false,
  });
}

export function useAcceptInvitation(token: string) {
  const api = useApi();
  return useMutation({
    mutationFn: async (body: { full_name: string; password: string }) =>
      (await api.http.POST("/api/v1/invitations/{token}/accept", { params: { path: { token } }, body }))
        .data!,
  });
}
