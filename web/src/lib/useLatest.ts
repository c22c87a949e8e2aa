import { useLayoutEffect, useRef, type RefObject } from "react";

/**
 * A ref that always holds the latest value, for callbacks that outlive a render (uPlot hooks,
 * the API client's 401 handler). It is updated after render, never during it.
 */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
