import { describe, expect, it } from "vitest";
import { formatMeasurement, formatShanghaiTime, formatUnit, formatValue, qualityName } from "./format";

describe("formatUnit", () => {
  it("renders pint's degC as °C and percent as %", () => {
    expect(formatUnit("degC")).toBe("°C");
    expect(formatUnit("degree_Celsius")).toBe("°C");
    expect(formatUnit("percent")).toBe("%");
  });

  it("shows nothing for dimensionless points such as the chamber status", () => {
    expect(formatUnit("dimensionless")).toBe("");
    expect(formatUnit(null)).toBe("");
  });

  it("keeps plain SI symbols and writes compound units compactly", () => {
    expect(formatUnit("W")).toBe("W");
    expect(formatUnit("kilopascal")).toBe("kPa");
    expect(formatUnit("meter / second ** 2")).toBe("m/s²");
    expect(formatUnit("newton * meter")).toBe("N·m");
  });
});

describe("formatValue", () => {
  it("rounds to about four significant digits instead of showing float noise", () => {
    expect(formatValue(23.456789)).toBe("23.46");
    expect(formatValue(-40.0000001)).toBe("-40.00");
    expect(formatValue(123.456)).toBe("123.5");
    expect(formatValue(1234.56)).toBe("1235");
    expect(formatValue(0.012345)).toBe("0.012");
  });

  it("keeps a quantity's decimals when a reading happens to be whole, so digits do not jump", () => {
    expect(formatValue(37, "degC")).toBe("37.00");
    expect(formatValue(37.004, "degC")).toBe("37.00");
    expect(formatValue(850, "W")).toBe("850.0");
  });

  it("shows unitless whole numbers such as status codes plainly", () => {
    expect(formatValue(2, "dimensionless")).toBe("2");
    expect(formatValue(2)).toBe("2");
  });

  it("keeps the significant digits of small readings instead of rounding them to zero", () => {
    expect(formatValue(0.0034, "V")).toBe("0.00340");
    expect(formatValue(-0.00012, "A")).toBe("-0.000120");
    expect(formatMeasurement(0.0000012345, "ampere")).toBe("1.23e-6 A");
    expect(formatValue(0, "V")).toBe("0.00");
  });

  it("shows a dash when nothing was recorded", () => {
    expect(formatValue(null)).toBe("—");
    expect(formatValue(Number.NaN)).toBe("—");
  });

  it("joins units the way SI writes them", () => {
    expect(formatMeasurement(23.456, "degC")).toBe("23.46°C");
    expect(formatMeasurement(55.1, "percent")).toBe("55.10%");
    expect(formatMeasurement(850.4, "W")).toBe("850.4 W");
    expect(formatMeasurement(null, "degC")).toBe("—");
  });
});

describe("formatShanghaiTime", () => {
  it("shows a UTC instant in Beijing time (UTC+8)", () => {
    expect(formatShanghaiTime("2026-11-27T11:48:03Z")).toBe("2026-11-27 19:48:03");
    expect(formatShanghaiTime("2026-11-27T11:48:03.999+00:00")).toBe("2026-11-27 19:48:03");
  });

  it("moves to the next calendar day after 16:00 UTC", () => {
    expect(formatShanghaiTime("2026-12-31T16:30:00Z")).toBe("2027-01-01 00:30:00");
  });

  it("uses a 24-hour clock", () => {
    expect(formatShanghaiTime(Date.UTC(2026, 5, 1, 4, 5, 6))).toBe("2026-06-01 12:05:06");
    expect(formatShanghaiTime(new Date("2026-06-01T16:00:00Z"))).toBe("2026-06-02 00:00:00");
  });

  it("shows a dash for a missing or unreadable time", () => {
    expect(formatShanghaiTime(null)).toBe("—");
    expect(formatShanghaiTime("not a time")).toBe("—");
  });
});

describe("qualityName", () => {
  it("accepts the contract's names and its stored smallint codes", () => {
    expect(qualityName("ok")).toBe("ok");
    expect(qualityName(0)).toBe("ok");
    expect(qualityName(2)).toBe("comm_fail");
    expect(qualityName(5)).toBe("loop_low_fault");
    expect(qualityName("loop_high_fault")).toBe("loop_high_fault");
    expect(qualityName(99)).toBeNull();
    expect(qualityName(null)).toBeNull();
  });
});
