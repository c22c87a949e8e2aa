import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { loginPath, useSignedIn } from "../auth";
import { CalibrationStatusLabel, type CalibrationState, useText } from "../calibration";
import { stateMessageId } from "../telemetry/states";
import {
  EMPTY_FILTERS,
  type CatalogueFilters,
  pageCount,
  type SortKey,
  toSearchParams,
  withFilter,
} from "./filters";

export interface CatalogueItem {
  id: string;
  name: string;
  name_en: string | null;
  model: string | null;
  manufacturer: string | null;
  category: string | null;
  original_value: string | null;
  currency: string | null;
  service_modes: string[];
  institution_name: string;
  institution_name_en: string | null;
  city: string | null;
  lab_name: string;
  calibration_state: CalibrationState;
  calibration_valid_to: string | null;
  live_state: string | null;
}

interface CatalogueResults {
  total: number;
  page: number;
  page_size: number;
  items: CatalogueItem[];
}

const STATES: CalibrationState[] = ["valid", "due_soon", "expired", "out_of_service", "not_required"];

export function CataloguePage() {
  const api = useApi();
  const t = useText();
  const { pickName, t: tr } = useI18n();
  const signedIn = useSignedIn();
  const [filters, setFilters] = useState<CatalogueFilters>(EMPTY_FILTERS);
  const params = toSearchParams(filters).toString();
  const results = useQuery({
    queryKey: ["catalogue", params],
    queryFn: () => api.call<CatalogueResults>(`/catalogue/instruments?${params}`),
    placeholderData: keepPreviousData,
  });
  const set = <K extends keyof CatalogueFilters>(key: K, value: CatalogueFilters[K]) =>
    setFilters((current) => withFilter(current, key, value));
  const field = (key: "q" | "category" | "city" | "parameter" | "standard", label: string) => (
    <label className="field">
      <span>{label}</span>
      <input
        name={key}
        type={key === "q" ? "search" : "text"}
        value={filters[key]}
        onChange={(event) => set(key, event.target.value)}
      />
    </label>
  );

  return (
    <section>
      <h1>{t("catalogue.title")}</h1>
      <form className="card catalogue-filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label className="field field-wide">
          <span>{t("catalogue.search")}</span>
          <input
            name="q"
            type="search"
            value={filters.q}
            placeholder="色谱 / chromatograph"
            onChange={(event) => set("q", event.target.value)}
          />
        </label>
        {field("category", t("catalogue.category"))}
        {field("city", t("catalogue.city"))}
        {field("parameter", t("catalogue.parameter"))}
        {field("standard", t("catalogue.standard"))}
        <label className="field">
          <span>{t("catalogue.calibration")}</span>
          <select
            name="calibration"
            value={filters.calibration}
            onChange={(event) => set("calibration", event.target.value as CalibrationState | "")}
          >
            <option value="">{t("catalogue.any")}</option>
            {STATES.map((state) => (
              <option key={state} value={state}>
                {t(`status.${state}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("catalogue.freeFrom")}</span>
          <input
            name="freeFrom"
            type="datetime-local"
            value={filters.freeFrom}
            onChange={(event) => set("freeFrom", event.target.value)}
          />
        </label>
        <label className="field">
          <span>{t("catalogue.freeTo")}</span>
          <input
            name="freeTo"
            type="datetime-local"
            value={filters.freeTo}
            onChange={(event) => set("freeTo", event.target.value)}
          />
        </label>
        <label className="field">
          <span>{t("catalogue.sort")}</span>
          <select
            name="sort"
            value={filters.sort}
            onChange={(event) => set("sort", event.target.value as SortKey)}
          >
            <option value="name">{t("catalogue.sort.name")}</option>
            <option value="-original_value">{t("catalogue.sort.value")}</option>
            <option value="calibration_due">{t("catalogue.sort.due")}</option>
            <option value="institution">{t("catalogue.sort.institution")}</option>
          </select>
        </label>
      </form>
      {results.isPending && <Loading />}
      {results.isError && <ErrorNotice error={results.error} />}
      {results.data && (
        <>
          <p className="muted" data-testid="catalogue-total">
            {t("catalogue.results", { count: results.data.total })}
          </p>
          {results.data.items.length === 0 ? (
            <p className="empty">{t("catalogue.empty")}</p>
          ) : (
            <ul className="catalogue-list" data-testid="catalogue-results">
              {results.data.items.map((item) => (
                <li key={item.id} className="card catalogue-item" data-testid="catalogue-item">
                  <div className="catalogue-item-head">
                    {/* Instrument pages need an account (no anonymous endpoint serves them), so a
                        visitor is asked to log in and lands on the instrument afterwards. */}
                    <Link
                      to={
                        signedIn
                          ? `/instruments/${item.id}`
                          : loginPath({ pathname: `/instruments/${item.id}`, search: "" })
                      }
                      className="catalogue-name"
                    >
                      {pickName(item.name, item.name_en)}
                    </Link>
                    <CalibrationStatusLabel
                      state={item.calibration_state}
                      validTo={item.calibration_valid_to}
                    />
                  </div>
                  <div className="muted">
                    {[item.model, item.manufacturer, item.category].filter(Boolean).join(" · ")}
                  </div>
                  <div>
                    {pickName(item.institution_name, item.institution_name_en)} · {item.lab_name}
                    {item.city && ` · ${item.city}`}
                    {item.live_state &&
                      ` · ${t("catalogue.live", { state: tr(stateMessageId(item.live_state)) })}`}
                  </div>
                  {!signedIn && (
                    <div className="muted catalogue-login-hint">{t("catalogue.loginForDetails")}</div>
                  )}
                </li>
              ))}
            </ul>
          )}
          <nav className="pager">
            <button
              type="button"
              className="btn btn-ghost"
              disabled={filters.page <= 1}
              onClick={() => set("page", filters.page - 1)}
            >
              {t("catalogue.prev")}
            </button>
            <span>{t("catalogue.page", { page: filters.page })}</span>
            <button
              type="button"
              className="btn btn-ghost"
              disabled={filters.page >= pageCount(results.data.total)}
              onClick={() => set("page", filters.page + 1)}
            >
              {t("catalogue.next")}
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
