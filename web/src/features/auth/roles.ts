import type { Role } from "../../api/types";

/** Enterprise users book instruments; they see telemetry only through their own bookings. */
export function isEnterpriseRole(role: Role | null | undefined): boolean {
  return role === "enterprise_member" || role === "enterprise_admin";
}

/** Lab staff and managers work for the institution that owns the instruments. */
export function isInstitutionRole(role: Role | null | undefined): boolean {
  return role === "lab_staff" || role === "lab_manager";
}
