import { useState, type FormEvent } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import type { Instrument } from "../../api/types";
import { useI18n } from "../../i18n";
import { useCreateBooking, useQuote, type BookingRequest } from "./api";
import { QuoteBreakdown } from "./QuoteBreakdown";
import { useText } from "./text";

export interface BookingDraft {
  instrumentId: string;
  start: string; // datetime-local, Beijing wall time
  end: string;
}

const toIso = (local: string) => `${local.length === 16 ? `${local}:00` : local}+08:00`;

/** Choose a slot, see the fee breakdown, then book. */
export function BookingForm({ instruments, draft }: { instruments: Instrument[]; draft: BookingDraft }) {
  const t = useText();
  const { pickName } = useI18n();
  const [form, setForm] = useState(draft);
  const [mode, setMode] = useState<BookingRequest["mode"]>("staff_operated");
  const [samples, setSamples] = useState(1);
  const [items, setItems] = useState("");
  const quote = useQuote();
  const create = useCreateBooking();
  if (draft !== form && (draft.start !== form.start || draft.instrumentId !== form.instrumentId)) {
    // A new slot was picked in the calendar.
    setForm(draft);
    quote.reset();
    create.reset();
  }

  const request = (): BookingRequest => ({
    instrument_id: form.instrumentId,
    start_at: toIso(form.start),
    end_at: toIso(form.end),
    mode,
    sample_count: mode === "staff_operated" ? samples : 0,
    test_items: items
      .split(/[,，]/)
      .map((s) => s.trim())
      .filter(Boolean),
  });
  const onQuote = (event: FormEvent) => {
    event.preventDefault();
    create.reset();
    quote.mutate(request());
  };

  return (
    <section className="card" aria-label={t("form.title")}>
      <form onSubmit={onQuote} className="booking-form">
        <label>
          {t("form.instrument")}
          <select
            value={form.instrumentId}
            onChange={(e) => setForm({ ...form, instrumentId: e.target.value })}
          >
            {instruments.map((i) => (
              <option key={i.id} value={i.id}>
                {pickName(i.name, i.name_en)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("form.start")}
          <input
            type="datetime-local"
            value={form.start}
            onChange={(e) => setForm({ ...form, start: e.target.value })}
          />
        </label>
        <label>
          {t("form.end")}
          <input
            type="datetime-local"
            value={form.end}
            onChange={(e) => setForm({ ...form, end: e.target.value })}
          />
        </label>
        <label>
          {t("form.mode")}
          <select value={mode} onChange={(e) => setMode(e.target.value as BookingRequest["mode"])}>
            <option value="staff_operated">{t("form.mode.staff_operated")}</option>
            <option value="self_operated">{t("form.mode.self_operated")}</option>
          </select>
        </label>
        {mode === "staff_operated" && (
          <>
            <label>
              {t("form.samples")}
              <input
                type="number"
                min={1}
                value={samples}
                onChange={(e) => setSamples(Number(e.target.value))}
              />
            </label>
            <label>
              {t("form.items")}
              <input value={items} onChange={(e) => setItems(e.target.value)} />
            </label>
          </>
        )}
        <button type="submit" className="btn">
          {t("form.quote")}
        </button>
      </form>
      {quote.error && <ErrorNotice error={quote.error} />}
      {quote.data && (
        <>
          <QuoteBreakdown quote={quote.data} />
          <button
            type="button"
            className="btn btn-primary"
            disabled={create.isPending}
            onClick={() => create.mutate(request())}
          >
            {t("form.submit")}
          </button>
        </>
      )}
      {create.error && <ErrorNotice error={create.error} />}
      {create.data && (
        <p role="status" data-testid="booked">
          {t("form.booked", { status: t(`status.${create.data.status}`) })}
        </p>
      )}
    </section>
  );
}
