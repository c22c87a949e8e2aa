import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Card, Col, DatePicker, Empty, Form, Input, Pagination, Row, Select, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { type ReactNode, useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../api";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { DISPLAY_TIME_ZONE } from "../../lib/format";
import { isEnterpriseRole, useCurrentUser, useSignedIn } from "../auth";
import { CalibrationStatusLabel, type CalibrationState, useText } from "../calibration";
import { stateMessageId } from "../telemetry/states";
import {
  EMPTY_FILTERS,
  type CatalogueFilters,
  PAGE_SIZE,
  pageCount,
  type SortKey,
  toSearchParams,
  withFilter,
} from "./filters";
import { useCatalogueFacets } from "./api";
import { useCatalogueText } from "./text";

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
const SORTS: [
  SortKey,
  "catalogue.sort.name" | "catalogue.sort.value" | "catalogue.sort.due" | "catalogue.sort.institution",
][] = [
  ["name", "catalogue.sort.name"],
  ["-original_value", "catalogue.sort.value"],
  ["calibration_due", "catalogue.sort.due"],
  ["institution", "catalogue.sort.institution"],
];

/** A DatePicker value as Beijing wall time "YYYY-MM-DDTHH:mm" (what the filters hold). */
const toWallTime = (value: Dayjs | null) =>
  value ? value.tz(DISPLAY_TIME_ZONE).format("YYYY-MM-DDTHH:mm") : "";
const fromWallTime = (value: string) => (value ? dayjs.tz(value, DISPLAY_TIME_ZONE) : null);

export function CataloguePage() {
  const api = useApi();
  const t = useText();
  const { pickName, t: tr } = useI18n();
  const ct = useCatalogueText();
  const facets = useCatalogueFacets();
  const [filters, setFilters] = useState<CatalogueFilters>(EMPTY_FILTERS);
  const params = toSearchParams(filters).toString();
  const results = useQuery({
    queryKey: ["catalogue", params],
    queryFn: () => api.call<CatalogueResults>(`/catalogue/instruments?${params}`),
    placeholderData: keepPreviousData,
  });
  const set = <K extends keyof CatalogueFilters>(key: K, value: CatalogueFilters[K]) =>
    setFilters((current) => withFilter(current, key, value));
  const choice = (key: "category" | "city", label: string, values: string[] | undefined) => (
    <Col xs={12} md={6} lg={4}>
      <Form.Item label={label} htmlFor={`catalogue-${key}`}>
        <Select<string>
          id={`catalogue-${key}`}
          aria-label={label}
          value={filters[key]}
          virtual={false}
          showSearch
          loading={facets.isPending}
          onChange={(value) => set(key, value)}
          options={[
            { value: "", label: t("catalogue.any") },
            ...(values ?? []).map((value) => ({ value, label: value })),
          ]}
        />
      </Form.Item>
    </Col>
  );
  const text = (key: "parameter" | "standard", label: string) => (
    <Col xs={12} md={6} lg={4}>
      <Form.Item label={label} htmlFor={`catalogue-${key}`}>
        <Input
          id={`catalogue-${key}`}
          name={key}
          value={filters[key]}
          allowClear
          onChange={(event) => set(key, event.target.value)}
        />
      </Form.Item>
    </Col>
  );

  return (
    <section className="page">
      <Typography.Title level={1} className="page-title">
        {t("catalogue.title")}
      </Typography.Title>
      <Card className="catalogue-filters">
        <Form layout="vertical" role="search" onSubmitCapture={(event) => event.preventDefault()}>
          <Row gutter={[12, 0]}>
            <Col xs={24}>
              <Form.Item
                label={t("catalogue.search")}
                htmlFor="catalogue-q"
                extra={ct("catalogue.searchHint")}
              >
                <Input
                  id="catalogue-q"
                  name="q"
                  type="search"
                  value={filters.q}
                  placeholder="电镜 / XRD / chromatograph"
                  allowClear
                  onChange={(event) => set("q", event.target.value)}
                />
              </Form.Item>
            </Col>
            {choice("category", t("catalogue.category"), facets.data?.categories)}
            {choice("city", t("catalogue.city"), facets.data?.cities)}
            {text("parameter", t("catalogue.parameter"))}
            {text("standard", t("catalogue.standard"))}
            <Col xs={12} md={6} lg={4}>
              <Form.Item label={t("catalogue.calibration")} htmlFor="catalogue-calibration">
                <Select<CalibrationState | "">
                  id="catalogue-calibration"
                  aria-label={t("catalogue.calibration")}
                  value={filters.calibration}
                  virtual={false}
                  onChange={(value) => set("calibration", value)}
                  options={[
                    { value: "", label: t("catalogue.any") },
                    ...STATES.map((state) => ({ value: state, label: t(`status.${state}`) })),
                  ]}
                />
              </Form.Item>
            </Col>
            <Col xs={12} md={6} lg={4}>
              <Form.Item label={t("catalogue.sort")} htmlFor="catalogue-sort">
                <Select<SortKey>
                  id="catalogue-sort"
                  aria-label={t("catalogue.sort")}
                  value={filters.sort}
                  virtual={false}
                  onChange={(value) => set("sort", value)}
                  options={SORTS.map(([value, id]) => ({ value, label: t(id) }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} lg={8}>
              <Form.Item
                label={`${t("catalogue.freeFrom")} – ${t("catalogue.freeTo")}`}
                htmlFor="catalogue-free"
              >
                <DatePicker.RangePicker
                  id="catalogue-free"
                  showTime={{ format: "HH:mm", minuteStep: 30 }}
                  format="YYYY-MM-DD HH:mm"
                  style={{ width: "100%" }}
                  value={[fromWallTime(filters.freeFrom), fromWallTime(filters.freeTo)]}
                  onChange={(range) => {
                    setFilters((current) => ({
                      ...current,
                      freeFrom: toWallTime(range?.[0] ?? null),
                      freeTo: toWallTime(range?.[1] ?? null),
                      page: 1,
                    }));
                  }}
                />
              </Form.Item>
            </Col>
          </Row>
        </Form>
      </Card>
      {results.isPending && <Loading />}
      {results.isError && <ErrorNotice error={results.error} />}
      {results.data && (
        <>
          <p className="muted" data-testid="catalogue-total">
            {t("catalogue.results", { count: results.data.total })}
            {" · "}
            {t("catalogue.pages", { page: filters.page, pages: pageCount(results.data.total) })}
          </p>
          {results.data.items.length === 0 ? (
            <Empty description={t("catalogue.empty")} />
          ) : (
            <ul className="catalogue-list" data-testid="catalogue-results">
              {results.data.items.map((item) => (
                <li key={item.id} data-testid="catalogue-item">
                  <Card size="small" className="catalogue-item">
                    <div className="catalogue-item-head">
                      <InstrumentNameLink id={item.id}>
                        {pickName(item.name, item.name_en)}
                      </InstrumentNameLink>
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
                    <div className="catalogue-login-hint">
                      <Link to={`/catalogue/instruments/${item.id}`} data-testid="catalogue-details">
                        {ct("catalogue.details")}
                      </Link>
                    </div>
                  </Card>
                </li>
              ))}
            </ul>
          )}
          <Pagination
            className="pager"
            current={filters.page}
            pageSize={PAGE_SIZE}
            total={results.data.total}
            showSizeChanger={false}
            hideOnSinglePage
            onChange={(page) => set("page", page)}
          />
        </>
      )}
    </section>
  );
}

/** Where an instrument's name leads: visitors and enterprise users to the public page (fees,
 * hours, free slots, the Book button); lab and platform staff to the instrument page, with
 * its live values and history. */
function InstrumentNameLink({ id, children }: { id: string; children: ReactNode }) {
  // A visitor's page never asks who is signed in (no /auth/me without a token).
  return useSignedIn() ? (
    <MemberInstrumentLink id={id}>{children}</MemberInstrumentLink>
  ) : (
    <Link to={`/catalogue/instruments/${id}`} className="catalogue-name">
      {children}
    </Link>
  );
}

function MemberInstrumentLink({ id, children }: { id: string; children: ReactNode }) {
  const me = useCurrentUser();
  const staff = me.data !== undefined && !isEnterpriseRole(me.data.role);
  return (
    <Link to={staff ? `/instruments/${id}` : `/catalogue/instruments/${id}`} className="catalogue-name">
      {children}
    </Link>
  );
}
