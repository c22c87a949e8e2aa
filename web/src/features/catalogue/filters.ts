import type { CalibrationState } from "../calibration";
import { beijingInputToIso } from "../calibration";

export type SortKey = "name" | "-original_value" | "calibration_due" | "institution";

/** What the visitor chose; datetimes are Beijing wall time from datetime-local inputs. */
export interface CatalogueFilters {
  q: string;
  category: string;
  city: string;
  parameter: string;
  standard: string;
  calibration: CalibrationState | "";
  freeFrom: string;
  freeTo: string;
  sort: SortKey;
  page: number;
}

export const EMPTY_FILTERS: CatalogueFilters = {
  q: "",
  category: "",
  city: "",
  parameter: "",
  standard: "",
  calibration: "",
  freeFrom: "",
  freeTo: "",
  sort: "name",
  page: 1,
};

export const PAGE_SIZE = 20;

/** The API query for the filters: blanks left out, a free window only when it is complete. */
export function toSearchParams(filters: CatalogueFilters): URLSearchParams {
  const params = new URLSearchParams();
  const put = (name: string, value: string) => {
    const trimmed = value.trim();
    if (trimmed) params.set(name, trimmed);
  };
  put("q", filters.q);
  put("category", filters.category);
  put("city", filters.city);
  put("parameter", filters.parameter);
  put("standard", filters.standard);
  put("calibration", filters.calibration);
  if (filters.freeFrom && filters.freeTo) {
    params.set("free_from", beijingInputToIso(filters.freeFrom));
    params.set("free_to", beijingInputToIso(filters.freeTo));
  }
  if (filters.sort !== "name") params.set("sort", filters.sort);
  if (filters.page > 1) params.set("page", String(filters.page));
  params.set("page_size", String(PAGE_SIZE));
  return params;
}

/** A changed filter starts again from the first page; moving between pages keeps the rest. */
export function withFilter<K extends keyof CatalogueFilters>(
  filters: CatalogueFilters,
  key: K,
  value: CatalogueFilters[K],
): CatalogueFilters {
  return { ...filters, [key]: value, page: key === "page" ? (value as number) : 1 };
}

export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}
