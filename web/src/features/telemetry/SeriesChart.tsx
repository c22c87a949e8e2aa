import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatShanghaiTime, formatUnit } from "../../lib/format";
import { useLatest } from "../../lib/useLatest";
import { type ChartData, shanghaiAxisDate, timeAxisLabels, xScaleRange } from "./series";

export interface ChartLabels {
  time: string;
  mean: string;
  min: string;
  max: string;
}

/**
 * A uPlot chart of mean with a min/max band over the requested range (epoch ms), with time
 * labels in Beijing time; dragging a range calls `onZoom` (seconds).
 */
export default function SeriesChart({
  data,
  unit,
  range,
  labels,
  onZoom,
  onReset,
}: {
  data: ChartData;
  unit: string;
  range: { start: number; end: number };
  labels: ChartLabels;
  onZoom: (fromS: number, toS: number) => void;
  onReset: () => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoom = useLatest(onZoom);
  // uPlot asks the range function on every rescale; the ref hands it the latest request.
  const requested = useLatest(range);
  const symbol = formatUnit(unit);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 320),
      height: 280,
      tzDate: shanghaiAxisDate,
      scales: { x: { time: true, range: () => xScaleRange(requested.current) } },
      axes: [{ values: (_u, splits, _axis, _space, increment) => timeAxisLabels(splits, increment) }, {}],
      series: [
        {
          label: labels.time,
          value: (_u, seconds) => (seconds === null ? "—" : formatShanghaiTime(seconds * 1000)),
        },
        { label: symbol ? `${labels.mean} (${symbol})` : labels.mean, stroke: "#2f6fde", width: 1.5 },
        { label: labels.min, stroke: "rgba(47,111,222,0.35)" },
        { label: labels.max, stroke: "rgba(47,111,222,0.35)" },
      ],
      bands: [{ series: [3, 2], fill: "rgba(47,111,222,0.12)" }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const from = u.posToVal(u.select.left, "x");
            const to = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current(from, to);
          },
        ],
      },
    };
    plot.current = new uPlot(options, data, element);
    const resize = () => plot.current?.setSize({ width: Math.max(element.clientWidth, 320), height: 280 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is rebuilt when the unit or language changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [unit, labels.mean]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data, range.start, range.end]);

  return <div ref={host} onDoubleClick={onReset} data-testid="series-chart" />;
}
