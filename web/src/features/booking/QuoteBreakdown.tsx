import { Alert } from "antd";
import type { BookingRefusal, Quote } from "./api";
import { percent, quoteAddsUp, voucherShare } from "./quote";
import { useI18n } from "../../i18n";
import { describeProblem } from "../../i18n/problems";
import { enumText, useText } from "./text";

/** What the server would refuse the booking with now, in the same words its refusal would be
 *  shown after submitting (times in `timeZone`). Nothing when the booking would pass. */
export function QuoteRefusals({ refusals, timeZone }: { refusals: BookingRefusal[]; timeZone?: string }) {
  const t = useText();
  const { locale } = useI18n();
  if (refusals.length === 0) return null;
  return (
    <Alert
      type="warning"
      showIcon
      role="status"
      data-testid="quote-refusals"
      title={t("quote.refused")}
      description={refusals.map((refusal, index) => {
        const { title, details } = describeProblem(refusal, locale, timeZone);
        return (
          <div key={`${refusal.code}-${index}`}>
            <strong>{title}</strong>
            {details.map((line) => (
              <div key={line}>{line}</div>
            ))}
          </div>
        );
      })}
    />
  );
}

/** The fee before booking: the published hourly fee with its cost lines, then the time at
 * that fee and the samples, adding up to the exact total. */
export function QuoteBreakdown({ quote }: { quote: Quote }) {
  const t = useText();
  const { locale } = useI18n();
  return (
    <section className="card" aria-label={t("quote.title")} data-testid="quote">
      <div className="card-head">
        <h3>{t("quote.title")}</h3>
        <span className="muted">
          {t("quote.category", {
            category: enumText(locale, "category", quote.category),
            factor: quote.factor,
          })}
        </span>
      </div>
      <table className="latest-table" data-testid="quote-hourly">
        <thead>
          <tr>
            <th>{t("quote.item")}</th>
            <th className="num">{t("quote.perHour")}</th>
          </tr>
        </thead>
        <tbody>
          {quote.hourly_lines.map((line) => (
            <tr key={line.item}>
              <th scope="row">{line.label}</th>
              <td className="num">¥{line.per_hour}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">{t("quote.hourlyFee")}</th>
            <td className="num" data-testid="quote-hourly-fee">
              <strong>¥{quote.hourly_fee}</strong>
            </td>
          </tr>
        </tbody>
      </table>
      <table className="latest-table" aria-label={t("quote.charge")}>
        <thead>
          <tr>
            <th>{t("quote.charge")}</th>
            <th className="num">{t("quote.rate")}</th>
            <th className="num">{t("quote.quantity")}</th>
            <th className="num">{t("quote.amount")}</th>
          </tr>
        </thead>
        <tbody>
          {quote.lines.map((line) => (
            <tr key={line.item}>
              <th scope="row">{line.label}</th>
              <td className="num">¥{line.rate}</td>
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
      {Number(quote.voucher_max_share) > 0 && (
        <p data-testid="quote-voucher">
          {t("quote.voucher", { share: percent(quote.voucher_max_share), ...voucherShare(quote) })}
        </p>
      )}
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
