import type { HistoryPoint } from "./sessionHistory";

export interface SparklineProps {
  points: readonly HistoryPoint[];
  width?: number;
  height?: number;
  label?: string;
}

/** Scales points into the box; a flat series is drawn through the middle. */
export function sparklinePath(points: readonly HistoryPoint[], width: number, height: number): string {
  if (points.length < 2) return "";
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const values = points.map((p) => p.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = last.ts - first.ts || 1;
  const pad = 2;
  const y = (value: number) =>
    max === min ? height / 2 : pad + (1 - (value - min) / (max - min)) * (height - 2 * pad);
  return points
    .map(
      (p, i) =>
        `${i === 0 ? "M" : "L"}${(((p.ts - first.ts) / span) * width).toFixed(1)},${y(p.value).toFixed(1)}`,
    )
    .join(" ");
}

export function Sparkline({ points, width = 120, height = 28, label }: SparklineProps) {
  const path = sparklinePath(points, width, height);
  if (!path) return <span className="sparkline-empty" aria-hidden="true" />;
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      data-testid="sparkline"
    >
      <path d={path} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
    </svg>
  );
}
