import type { Quote } from "./api";

/** Sum of decimal strings in fen, so 0.1 + 0.2 shows 0.30 and never 0.30000000000000004. */
export function sumYuan(amounts: string[]): string {
  let fen = 0n;
  for (const amount of amounts) {
    const negative = amount.startsWith("-");
    const [whole, frac = ""] = amount.replace("-", "").split(".");
    const value = BigInt(whole || "0") * 100n + BigInt((frac + "00").slice(0, 2));
    fen += negative ? -value : value;
  }
  const sign = fen < 0n ? "-" : "";
  const abs = fen < 0n ? -fen : fen;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** Whether the lines the user sees add up: the cost lines to the published hourly fee, and
 * the time and sample lines to the total the server will charge. */
export function quoteAddsUp(quote: Quote): boolean {
  return (
    sumYuan(quote.hourly_lines.map((l) => l.per_hour)) === sumYuan([quote.hourly_fee]) &&
    sumYuan(quote.lines.map((l) => l.amount)) === sumYuan([quote.total])
  );
}

export function percent(share: string): string {
  return String(Math.round(Number(share) * 10000) / 100);
}

/** The most a voucher may pay of the total (the policy's share, rounded to the fen) and what the
 *  booker pays at least; the two add up to the total. */
export function voucherShare(quote: Pick<Quote, "total" | "voucher_max_share">): {
  amount: string;
  rest: string;
} {
  const totalFen = Math.round(Number(quote.total) * 100);
  const fen = Math.round(totalFen * Number(quote.voucher_max_share));
  return { amount: (fen / 100).toFixed(2), rest: ((totalFen - fen) / 100).toFixed(2) };
}
