import { describe, expect, it } from "vitest";
import { EMPTY_FILTERS, pageCount, toSearchParams, withFilter } from "./filters";

describe("catalogue filters", () => {
  it("sends only what was chosen, trimmed", () => {
    const params = toSearchParams({ ...EMPTY_FILTERS, q: "  色谱 ", city: "杭州", calibration: "valid" });
    expect(Object.fromEntries(params)).toEqual({
      q: "色谱",
      city: "杭州",
      calibration: "valid",
      page_size: "20",
    });
  });

  it("sends a free window only when both ends are given, in Beijing time", () => {
    const half = toSearchParams({ ...EMPTY_FILTERS, freeFrom: "2026-12-03T09:00" });
    expect(half.has("free_from")).toBe(false);
    const both = toSearchParams({
      ...EMPTY_FILTERS,
      freeFrom: "2026-12-03T09:00",
      freeTo: "2026-12-03T12:00",
    });
    expect(both.get("free_from")).toBe("2026-12-03T09:00:00+08:00");
    expect(both.get("free_to")).toBe("2026-12-03T12:00:00+08:00");
  });

  it("returns to the first page when a filter changes, but not when paging", () => {
    const onPage3 = withFilter(EMPTY_FILTERS, "page", 3);
    expect(onPage3.page).toBe(3);
    expect(toSearchParams(onPage3).get("page")).toBe("3");
    const filtered = withFilter(onPage3, "category", "光谱仪器");
    expect(filtered.page).toBe(1);
    expect(toSearchParams(filtered).has("page")).toBe(false);
  });

  it("sends the sort only when it is not the default and counts pages", () => {
    expect(toSearchParams({ ...EMPTY_FILTERS, sort: "-original_value" }).get("sort")).toBe("-original_value");
    expect(toSearchParams(EMPTY_FILTERS).has("sort")).toBe(false);
    expect(pageCount(0)).toBe(1);
    expect(pageCount(41)).toBe(3);
  });
});
