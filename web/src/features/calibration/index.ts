export * from "./api";
export { CalibrationStatusLabel } from "./CalibrationStatusLabel";
export { text, useText, type TextId } from "./text";
export { beijingInputToIso, formatBeijing, pickedDay, pickedToIso } from "./time";
export { AuthorisationsPanel } from "./AuthorisationsPanel";
export { ImpactReportView } from "./ImpactReportView";
export { outOfServiceReason } from "./outOfService";
export { CertificateDocument } from "./CertificateDocument";
