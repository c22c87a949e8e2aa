import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useLatest } from "../../lib/useLatest";
import type { ChartPoints } from "./api";
import { type ChartLines, explainPoint, markedSeries } from "./chart";

export interface ControlChartLabels {
  position: string;
  value: string;
  /** A Nelson test's description, for the legend of a hovered violating point. */
  ruleText: (rule: number) => string;
  outOfSpec: string;
}

const LINE = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
  label,
  stroke,
  width: 1,
  dash,
  points: { show: false },
});

/**
 * Location chart (individuals or subgroup means) with centre line, control limits, the ±1σ and
 * ±2σ zone edges and the specification limits; violating points are red and explained in the
 * legend while hovering. Dragging over the chart selects a range of positions (`onSelect`).
 */
export default function ControlChart({
  points,
  lines,
  unit,
  labels,
  onSelect,
}: {
  points: ChartPoints;
  lines: ChartLines;
  unit: string;
  labels: ControlChartLabels;
  onSelect: (first: number, last: number) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const select = useLatest(onSelect);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const xs = points.position;
    const flat = (value: number | null) => xs.map(() => value);
    const data: uPlot.AlignedData = [
      xs,
      points.location,
      markedSeries(points),
      flat(lines.ucl),
      flat(lines.center),
      flat(lines.lcl),
      ...lines.zones.map((z) => flat(z)),
      flat(lines.usl),
      flat(lines.lsl),
    ];
    const series: uPlot.Series[] = [
      { label: labels.position },
      { label: `${labels.value} (${unit})`, stroke: "#2f6fde", width: 1.5, points: { show: true, size: 4 } },
      {
        label: "!",
        stroke: "transparent",
        points: { show: true, size: 8, fill: "#d4380d", stroke: "#d4380d" },
        value: (_u, _v, _si, idx) =>
          idx === null || idx === undefined
            ? ""
            : explainPoint(points, idx, labels.ruleText, labels.outOfSpec),
      },
      LINE("UCL", "#cf1322"),
      LINE("CL", "#389e0d"),
      LINE("LCL", "#cf1322"),
      ...lines.zones.map((_, i) => LINE(`${[-2, -1, 1, 2][i]}σ`, "rgba(0,0,0,0.25)", [4, 4])),
      LINE("USL", "#722ed1", [8, 4]),
      LINE("LSL", "#722ed1", [8, 4]),
    ];
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 320),
        height: 320,
        scales: { x: { time: false } },
        // The value axis as wide as its longest label ("25.015" was cut to "5.015").
        axes: [
          {},
          { size: (_u, values) => (values ?? []).reduce((w, v) => Math.max(w, v.length), 0) * 8 + 20 },
        ],
        series,
        cursor: { drag: { x: true, y: false, setScale: false } },
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 5) return;
              const from = Math.ceil(u.posToVal(u.select.left, "x"));
              const to = Math.floor(u.posToVal(u.select.left + u.select.width, "x"));
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              if (to >= from) select.current(from, to);
            },
          ],
        },
      },
      data,
      element,
    );
    const resize = () => plot.setSize({ width: Math.max(element.clientWidth, 320), height: 320 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [points, lines, unit, labels, select]);

  return <div ref={host} data-testid="control-chart" />;
}
