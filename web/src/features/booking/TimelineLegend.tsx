import { KIND_COLOURS } from "./timeline";
import { useText } from "./text";

/** What the colours of the day and week timelines mean. */
export function TimelineLegend({ testId }: { testId: string }) {
  const t = useText();
  return (
    <p className="muted" data-testid={testId}>
      {(["free", "booked", "closed", "blocked"] as const).map((kind) => (
        <span key={kind} style={{ marginRight: 12, whiteSpace: "nowrap" }}>
          <span
            aria-hidden
            style={{
              display: "inline-block",
              width: 10,
              height: 10,
              marginRight: 4,
              border: "1px solid #d9d9d9",
              background: KIND_COLOURS[kind],
            }}
          />
          {t(`timeline.${kind}`)}
        </span>
      ))}
    </p>
  );
}
