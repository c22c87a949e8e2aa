import type { TileCondition } from "./tile";

/** Simple shapes, one per tile condition, so colour is never the only sign. */
const PATHS: Record<TileCondition, string> = {
  // A no-entry sign.
  out_of_service: "M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm-4 6h8v2H4z",
  // A calendar with a cross.
  calibration_expired: "M3 3h10v11H3zM3 3v3h10V3M5 1v3M11 1v3M6 8.5l4 4M10 8.5l-4 4",
  not_calibrated: "M3 3h10v11H3zM3 3v3h10V3M5 1v3M11 1v3M6 10h4",
  // A warning triangle.
  fault: "M8 1.5 15 14H1zM8 6v4M8 11.5v1",
  // A broken link.
  offline: "M2 8h4M10 8h4M6 5l4 6",
  // Play, pause, power.
  running: "M5 3v10l8-5z",
  idle: "M5 3v10M11 3v10",
  off: "M8 2v6M4.5 4.5a5 5 0 1 0 7 0",
  unknown: "M6 6a2 2 0 1 1 3 1.7c-.7.4-1 .9-1 1.6M8 12v.5",
};

const FILLED: ReadonlySet<TileCondition> = new Set(["out_of_service", "running"]);

export function StateIcon({ condition, colour }: { condition: TileCondition; colour: string }) {
  const filled = FILLED.has(condition);
  return (
    <svg
      className="state-icon"
      data-testid="state-icon"
      data-icon={condition}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
    >
      <path
        d={PATHS[condition]}
        fill={filled ? colour : "none"}
        fillRule="evenodd"
        stroke={filled ? "none" : colour}
        strokeWidth="1.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
