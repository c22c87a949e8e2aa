import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderWithApp } from "../../test/render";
import type { Quote } from "./api";
import { quoteAddsUp, sumYuan } from "./quote";
import { QuoteBreakdown } from "./QuoteBreakdown";

const QUOTE: Quote = {
  instrument_id: "i-1",
  category: "enterprise",
  factor: "1",
  minutes: 210,
  hourly_fee: "155.00",
  hourly_lines: [
    { item: "consumables", label: "耗材 Consumables", rate: "12.3500", per_hour: "12.35" },
    { item: "staff_service", label: "人员服务 Staff service", rate: "80.0000", per_hour: "80.00" },
    { item: "depreciation", label: "设备折旧 Depreciation", rate: "55.3000", per_hour: "55.30" },
    { item: "other", label: "其他 Other", rate: "7.3500", per_hour: "7.35" },
  ],
  lines: [
    { item: "time", label: "机时 Instrument time", rate: "155.00", quantity: "3.5000", amount: "542.50" },
    {
      item: "samples",
      label: "样品检测 Sample testing",
      rate: "45.00",
      quantity: "3.0000",
      amount: "135.00",
    },
  ],
  total: "677.50",
  approval_required: true,
  charge_basis: "actual",
  voucher_max_share: "0.5000",
  no_show_share: "1.0000",
  late_cancellation_share: "0.5000",
  cancellation_window_hours: 24,
  refusals: [],
};

describe("fee quote breakdown", () => {
  it("adds decimal strings exactly, in fen", () => {
    expect(sumYuan(["0.10", "0.20"])).toBe("0.30");
    expect(sumYuan(QUOTE.lines.map((l) => l.amount))).toBe("677.50");
    expect(quoteAddsUp(QUOTE)).toBe(true);
    expect(quoteAddsUp({ ...QUOTE, total: "677.51" })).toBe(false);
    expect(quoteAddsUp({ ...QUOTE, hourly_fee: "155.01" })).toBe(false);
  });

  it("shows every cost line, the total and the policy in Chinese first", () => {
    renderWithApp(<QuoteBreakdown quote={QUOTE} />, { locale: "zh-CN" });
    const quote = screen.getByTestId("quote");
    expect(within(quote).getByText("设备折旧 Depreciation")).toBeInTheDocument();
    expect(within(quote).getByText("¥55.30")).toBeInTheDocument();
    expect(screen.getByTestId("quote-hourly-fee")).toHaveTextContent("¥155.00");
    expect(within(quote).getByText("公布收费标准（元/小时）")).toBeInTheDocument();
    // 3.5 h at the published 155.00 per hour is 542.50, not a sum of rounded cost lines.
    expect(within(quote).getByText("¥542.50")).toBeInTheDocument();
    expect(screen.getByTestId("quote-total")).toHaveTextContent("¥677.50");
    expect(quote).toHaveTextContent("创新券最多抵扣 50%");
    expect(quote).toHaveTextContent("需实验室审批");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("speaks English when asked", () => {
    renderWithApp(<QuoteBreakdown quote={{ ...QUOTE, approval_required: false }} />, { locale: "en" });
    expect(screen.getByText("Fee breakdown (cost recovery, non-profit)")).toBeInTheDocument();
    expect(screen.getByTestId("quote")).toHaveTextContent("vouchers cover up to 50%");
    expect(screen.queryByText("Needs the lab's approval")).toBeNull();
  });
});
