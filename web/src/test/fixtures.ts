import type { CurrentUser, InstrumentDetail, LatestValue } from "../api";

export const CHAMBER_ID = "0b7e8c1e-4f55-4c1f-9d7e-2f6a3c9b1a01";

export const manager: CurrentUser = {
  id: "4a3c1f52-0000-4000-8000-000000000001",
  email: "manager@zjim.demo",
  full_name: "王主管",
  role: "lab_manager",
  organisation: {
    id: "4a3c1f52-0000-4000-8000-0000000000aa",
    kind: "institution",
    name: "浙江省计量科学研究院",
    name_en: "Zhejiang Institute of Metrology",
  },
};

export const chamber: InstrumentDetail = {
  id: CHAMBER_ID,
  lab_id: "4a3c1f52-0000-4000-8000-0000000000bb",
  organisation_id: manager.organisation.id,
  name: "高低温试验箱",
  name_en: "Temperature chamber",
  model: "SETH-Z-040L",
  manufacturer: "Sanwood",
  location: "热工实验室 101",
  is_open: true,
  channels: [],
};

export function latestRow(overrides: Partial<LatestValue> & Pick<LatestValue, "point_key">): LatestValue {
  return {
    channel_id: overrides.point_key.length,
    device_key: "chamber-1",
    name: overrides.point_key,
    name_en: overrides.point_key,
    unit: "dimensionless",
    value: null,
    ts: null,
    quality: null,
    ...overrides,
  };
}
