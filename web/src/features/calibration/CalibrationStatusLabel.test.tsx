import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderWithApp } from "../../test/render";
import { CalibrationStatusLabel } from "./CalibrationStatusLabel";

describe("CalibrationStatusLabel", () => {
  it("shows the state in words and colour, with the Beijing date it lapses", () => {
    // 16:30 UTC on 2 December is already 3 December in Beijing.
    renderWithApp(<CalibrationStatusLabel state="due_soon" validTo="2026-12-02T16:30:00Z" />, {
      locale: "zh-CN",
    });
    const label = screen.getByTestId("calibration-status");
    expect(label).toHaveTextContent("即将到期 · 有效期至 2026-12-03");
    expect(label).toHaveClass("badge-warn");
  });

  it("marks expired and out-of-service instruments as bad, without a validity date", () => {
    renderWithApp(<CalibrationStatusLabel state="out_of_service" validTo="2027-01-01T00:00:00Z" />, {
      locale: "en",
    });
    const label = screen.getByTestId("calibration-status");
    expect(label).toHaveTextContent(/^Out of service$/);
    expect(label).toHaveClass("badge-bad");
  });

  it("keeps instruments that need no calibration neutral", () => {
    renderWithApp(<CalibrationStatusLabel state="not_required" />, { locale: "en" });
    expect(screen.getByTestId("calibration-status")).toHaveClass("badge-muted");
  });
});
