import type { Quote } from "./api";
import { percent, quoteAddsUp } from "./quote";
import { useText } from "./text";

/** The fee before booking: every cost line of the published model and the exact total. */
export function QuoteBreakdown({ quote }: { quote: Quote }) {
  const t = useText();
  return (
    <section className="card" aria-label={t("quote.title")} data-testid="quote">
      <div className="card-head">
        <h3>{t("quote.title")}</h3>
        <span className="muted">
          {t("quote.category", { category: quote.category, factor: quote.factor })}
        </span>
      </div>
      <table className="latest-table">
        <thead>
          <tr>
            <th>{t("quote.item")}</th>
            <th className="num">{t("quote.rate")}</th>
            <th className="num">{t("quote.quantity")}</th>
            <th className="num">{t("quote.amount")}</th>
          </tr>
        </thead>
        <tbody>
          {quote.lines.map((line) => (
            <tr key={line.item}>
              <th scope="row">{line.label}</th>
              <td className="num">{Number(line.rate).toFixed(2)}</td>
              <td className="num">{Number(line.quantity).toFixed(2)}</td>
              <td className="num">¥{line.amount}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">{t("quote.total")}</th>
            <td />
            <td />
            <td className="num" data-testid="quote-total">
              <strong>¥{quote.total}</strong>
            </td>
          </tr>
        </tbody>
      </table>
      {!quoteAddsUp(quote) && <p role="alert">⚠</p>}
      <p className="muted">
        {t("quote.policy", {
          basis: t(quote.charge_basis === "actual" ? "quote.basis.actual" : "quote.basis.booked"),
          voucher: percent(quote.voucher_max_share),
          noShow: percent(quote.no_show_share),
          hours: quote.cancellation_window_hours,
          late: percent(quote.late_cancellation_share),
        })}
      </p>
      {quote.approval_required && <p className="muted">{t("quote.approval")}</p>}
    </section>
  );
}
