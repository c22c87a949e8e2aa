import { QUALITIES, type Quality } from "../api/types";

/** All times are shown in the users' time zone, whatever the browser's own zone is. */
export const DISPLAY_TIME_ZONE = "Asia/Shanghai";

const shanghaiParts = new Intl.DateTimeFormat("en-US", {
  timeZone: DISPLAY_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** Formats an instant as "YYYY-MM-DD HH:mm:ss" in Asia/Shanghai; "—" for no or bad input. */
export function formatShanghaiTime(instant: string | number | Date | null | undefined): string {
  if (instant === null || instant === undefined || instant === "") return "—";
  const date = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(date.getTime())) return "—";
  const part: Record<string, string> = {};
  for (const { type, value } of shanghaiParts.formatToParts(date)) part[type] = value;
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`;
}

// pint spells units out; people read symbols.
const UNIT_SYMBOLS: Record<string, string> = {
  degC: "°C",
  degree_Celsius: "°C",
  celsius: "°C",
  degF: "°F",
  degree_Fahrenheit: "°F",
  kelvin: "K",
  K: "K",
  percent: "%",
  "%": "%",
  dimensionless: "",
  "": "",
  watt: "W",
  newton: "N",
  kilowatt: "kW",
  volt: "V",
  ampere: "A",
  hertz: "Hz",
  pascal: "Pa",
  kilopascal: "kPa",
  megapascal: "MPa",
  bar: "bar",
  millibar: "mbar",
  meter: "m",
  millimeter: "mm",
  micrometer: "µm",
  gram: "g",
  milligram: "mg",
  kilogram: "kg",
  second: "s",
  millisecond: "ms",
  minute: "min",
  hour: "h",
  liter: "L",
  milliliter: "mL",
  ppm: "ppm",
};

const SUPERSCRIPTS: Record<string, string> = { "2": "²", "3": "³", "-1": "⁻¹", "-2": "⁻²" };

/** Renders a pint unit string for people: degC -> °C, percent -> %, "m / s ** 2" -> m/s². */
export function formatUnit(unit: string | null | undefined): string {
  if (!unit) return "";
  const trimmed = unit.trim();
  const direct = UNIT_SYMBOLS[trimmed];
  if (direct !== undefined) return direct;
  return trimmed
    .replace(/\s*\*\*\s*(-?\d+)/g, (whole, power: string) => SUPERSCRIPTS[power] ?? whole)
    .replace(/\s*\/\s*/g, "/")
    .replace(/\s*\*\s*/g, "·")
    .replace(/[A-Za-z_]+/g, (word) => UNIT_SYMBOLS[word] ?? word);
}

/** Below this a fixed-point value would be mostly zeros; it is written as 1.23e-7 instead. */
const EXPONENT_BELOW = 1e-4;

/**
 * Decimal places that keep three to four significant digits without showing float noise;
 * small readings keep theirs too (0.00340 V, not 0 V).
 */
export function decimalsFor(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return 0;
  if (magnitude >= 100) return 1;
  if (magnitude >= 1 || magnitude === 0) return 2;
  if (magnitude >= 0.01) return 3;
  return Math.min(2 - Math.floor(Math.log10(magnitude)), 20);
}

function isCount(unit: string | null | undefined): boolean {
  return formatUnit(unit) === "";
}

/**
 * Formats a measured value; "—" when nothing was recorded. A quantity with a unit keeps its
 * decimals even when a reading happens to be whole (37 °C shows as 37.00), so the digits of a
 * live value do not jump; unitless values such as status codes show whole numbers plainly.
 */
export function formatValue(value: number | null | undefined, unit?: string | null): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value !== 0 && Math.abs(value) < EXPONENT_BELOW) return value.toExponential(2);
  const digits = Number.isInteger(value) && isCount(unit) ? 0 : decimalsFor(value);
  // Every non-zero value keeps significant digits, so none rounds to a "-0.00".
  return value.toFixed(digits);
}

/** A value with its unit, separated the way SI writes it (no space before ° or %). */
export function formatMeasurement(value: number | null | undefined, unit: string | null | undefined): string {
  const number = formatValue(value, unit);
  const symbol = formatUnit(unit);
  if (number === "—" || !symbol) return number;
  return symbol.startsWith("°") || symbol === "%" ? `${number}${symbol}` : `${number} ${symbol}`;
}

/** Normalises a quality from the API (name or stored smallint code). */
export function qualityName(quality: Quality | number | null | undefined): Quality | null {
  if (quality === null || quality === undefined) return null;
  if (typeof quality === "number") return QUALITIES[quality] ?? null;
  return (QUALITIES as readonly string[]).includes(quality) ? quality : null;
}
