import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// The machine running the tests may be loaded; Ant Design's first render is not instant.
configure({ asyncUtilTimeout: 5000 });

/** Whether a width query such as "(min-width: 576px)" or "(max-width: 575px)" holds for the
 * window's width (jsdom's 1024 px: the tests see a desktop-sized screen). */
function widthQueryMatches(query: string): boolean {
  const width = window.innerWidth;
  const min = /min-width:\s*(\d+)px/.exec(query);
  const max = /max-width:\s*(\d+)px/.exec(query);
  if (!min && !max) return false;
  return (!min || width >= Number(min[1])) && (!max || width <= Number(max[1]));
}

// jsdom has no layout: Ant Design's responsive helpers ask for these.
if (!window.matchMedia) {
  Object.defineProperty(window, "matchMedia", {
    writable: true,
    value: (query: string) => ({
      matches: widthQueryMatches(query),
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }),
  });
}

if (!("ResizeObserver" in window)) {
  class NoLayoutResizeObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  Object.defineProperty(window, "ResizeObserver", { writable: true, value: NoLayoutResizeObserver });
  Object.defineProperty(globalThis, "ResizeObserver", { writable: true, value: NoLayoutResizeObserver });
}

// jsdom cannot style pseudo-elements; Ant Design measures the scrollbar through one.
const computedStyle = window.getComputedStyle.bind(window);
window.getComputedStyle = (element: Element) => computedStyle(element);

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
