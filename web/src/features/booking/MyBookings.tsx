import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import type { Instrument } from "../../api/types";
import { useI18n } from "../../i18n";
import { useCurrentUser } from "../auth/queries";
import { useBookingAction, useBookings, useCalendarLinks, type Booking } from "./api";
import { beijingTime, dayLabel } from "./calendar";
import { downloadWithToken, sessionDataPath } from "./download";
import { bookingsTitle, useText } from "./text";

function When({ booking }: { booking: Booking }) {
  const { locale } = useI18n();
  return (
    <>
      {dayLabel(new Date(booking.start_at), locale)} {beijingTime(booking.start_at)}–
      {beijingTime(booking.end_at)}
    </>
  );
}

/**
 * The bookings the server shows this user (their enterprise's, or for lab staff the
 * institution's): status, fee, actual use, cancel, and the iCal feed link.
 */
export function MyBookings({ instruments }: { instruments: Instrument[] }) {
  const t = useText();
  const api = useApi();
  const me = useCurrentUser();
  const title = t(bookingsTitle(me.data?.role));
  const { pickName } = useI18n();
  const bookings = useBookings();
  const links = useCalendarLinks();
  const action = useBookingAction();
  const names = new Map(instruments.map((i) => [i.id, pickName(i.name, i.name_en)]));
  if (bookings.isPending) return <Loading />;
  if (bookings.error) return <ErrorNotice error={bookings.error} />;
  return (
    <section className="card" aria-label={title}>
      <div className="card-head">
        <h2>{title}</h2>
        {links.data && (
          <a href={links.data.user_feed} data-testid="ical-link">
            {t("mine.ical")}
          </a>
        )}
      </div>
      {action.error && <ErrorNotice error={action.error} />}
      {bookings.data.length === 0 ? (
        <p className="muted">{t("mine.empty")}</p>
      ) : (
        <table className="latest-table" data-testid="my-bookings">
          <thead>
            <tr>
              <th>{t("form.instrument")}</th>
              <th>{t("mine.when")}</th>
              <th>{t("mine.status")}</th>
              <th>{t("mine.fee")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {bookings.data.map((b) => (
              <tr key={b.id}>
                <th scope="row">{names.get(b.instrument_id) ?? b.instrument_id}</th>
                <td>
                  <When booking={b} />
                </td>
                <td>
                  {t(`status.${b.status}`)}
                  {b.flag && (
                    <div className="alert alert-error">{t("flag", { detail: b.flag_detail ?? b.flag })}</div>
                  )}
                </td>
                <td>
                  ¥{b.quoted_amount}
                  {b.actual_minutes !== null && <div>{t("mine.actual", { minutes: b.actual_minutes })}</div>}
                  {b.overrun_minutes > 0 && <div>{t("mine.overrun", { minutes: b.overrun_minutes })}</div>}
                </td>
                <td>
                  {(b.status === "checked_in" || b.status === "completed") && (
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => void downloadWithToken(api, sessionDataPath(b), `labshare-${b.id}.csv`)}
                    >
                      {t("mine.data")}
                    </button>
                  )}
                  {(b.status === "pending" || b.status === "confirmed") && (
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => action.mutate({ id: b.id, action: "cancel" })}
                    >
                      {t("mine.cancel")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Pending bookings on the lab's instruments, for staff to approve or reject. */
export function Approvals({ instruments }: { instruments: Instrument[] }) {
  const t = useText();
  const { pickName } = useI18n();
  const pending = useBookings("pending");
  const action = useBookingAction();
  const names = new Map(instruments.map((i) => [i.id, pickName(i.name, i.name_en)]));
  if (pending.isPending) return <Loading />;
  if (pending.error) return <ErrorNotice error={pending.error} />;
  return (
    <section className="card" aria-label={t("approvals.title")}>
      <h2>{t("approvals.title")}</h2>
      {action.error && <ErrorNotice error={action.error} />}
      {pending.data.length === 0 && <p className="muted">{t("approvals.empty")}</p>}
      <ul>
        {pending.data.map((b) => (
          <li key={b.id}>
            {names.get(b.instrument_id) ?? b.instrument_id} · <When booking={b} /> · ¥{b.quoted_amount}{" "}
            <button
              type="button"
              className="btn btn-small btn-primary"
              onClick={() => action.mutate({ id: b.id, action: "approve" })}
            >
              {t("approvals.approve")}
            </button>{" "}
            <button
              type="button"
              className="btn btn-small"
              onClick={() => action.mutate({ id: b.id, action: "reject" })}
            >
              {t("approvals.reject")}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
