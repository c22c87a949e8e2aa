import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { chargeKindText, downloadWithToken, useBookingText } from "../booking";

export interface StatementLine {
  service_date: string;
  instrument: string;
  customer: string;
  booking_id: string;
  kind: string;
  minutes: number;
  amount: string;
  voucher_amount: string;
  enterprise_amount: string;
}

export interface Statement {
  side: "enterprise" | "institution";
  month: string;
  lines: StatementLine[];
  total: string;
  voucher_total: string;
}

function currentMonth(): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
  }).format(new Date());
  return parts.slice(0, 7);
}

/** Monthly statement of the user's organisation, with CSV and Excel downloads. */
export function StatementsPage() {
  const api = useApi();
  const t = useBookingText();
  const { locale } = useI18n();
  const [month, setMonth] = useState(currentMonth);
  const statement = useQuery({
    queryKey: ["billing", "statement", month],
    queryFn: () => api.call<Statement>(`/statements?month=${encodeURIComponent(month)}`),
  });

  const download = (format: "csv" | "xlsx") =>
    downloadWithToken(
      api,
      `/statements?month=${encodeURIComponent(month)}&format=${format}`,
      `labshare-statement-${month}.${format}`,
    );

  return (
    <section className="card" aria-label={t("statements.title")}>
      <div className="card-head">
        <h2>{t("statements.title")}</h2>
        <label>
          {t("statements.month")}{" "}
          <input type="month" value={month} onChange={(e) => setMonth(e.target.value)} />
        </label>
      </div>
      <p>
        <button type="button" className="btn btn-small" onClick={() => void download("csv")}>
          {t("statements.csv")}
        </button>{" "}
        <button type="button" className="btn btn-small" onClick={() => void download("xlsx")}>
          {t("statements.xlsx")}
        </button>
      </p>
      {statement.isPending && <Loading />}
      {statement.error && <ErrorNotice error={statement.error} />}
      {statement.data &&
        (statement.data.lines.length === 0 ? (
          <p className="muted">{t("statements.empty")}</p>
        ) : (
          <>
            <p data-testid="statement-total">
              {t("statements.total", { total: statement.data.total, voucher: statement.data.voucher_total })}
            </p>
            <table className="latest-table" data-testid="statement-lines">
              <thead>
                <tr>
                  <th scope="col">{t("statements.date")}</th>
                  <th scope="col">{t("statements.instrument")}</th>
                  <th scope="col">{t("statements.customer")}</th>
                  <th scope="col">{t("statements.kind")}</th>
                  <th scope="col" className="num">
                    {t("statements.minutes")}
                  </th>
                  <th scope="col" className="num">
                    {t("statements.amount")}
                  </th>
                  <th scope="col" className="num">
                    {t("statements.voucher")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {statement.data.lines.map((line, index) => (
                  <tr key={`${line.booking_id}-${line.kind}-${index}`}>
                    <td>{line.service_date}</td>
                    <td>{line.instrument}</td>
                    <td>{line.customer}</td>
                    <td>{chargeKindText(locale, line.kind)}</td>
                    <td className="num">{line.minutes}</td>
                    <td className="num">¥{line.amount}</td>
                    <td className="num">¥{line.voucher_amount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ))}
    </section>
  );
}
