import {
  Alert,
  Button,
  Card,
  Col,
  DatePicker,
  Form,
  InputNumber,
  Radio,
  Row,
  Select,
  Space,
  Tag,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ApiError } from "../../api";
import type { Instrument } from "../../api/types";
import { useI18n } from "../../i18n";
import { DISPLAY_TIME_ZONE } from "../../lib/format";
import { useInstrumentRecord } from "../registry";
import { formatLocalMinute } from "../../i18n/problems";
import {
  useBookingPolicy,
  useCreateBooking,
  useCreateSeries,
  useJoinWaitlist,
  useQuote,
  type BookingRequest,
  type SeriesResult,
} from "./api";
import { toBeijingInput } from "./calendar";
import { QuoteBreakdown, QuoteRefusals } from "./QuoteBreakdown";
import { knownText, useText } from "./text";

/** A slot picked in the week grid: where the form starts. Every field stays editable. */
export interface BookingDraft {
  instrumentId: string;
  /** ISO instants. */
  start: string;
  end: string;
}

type Mode = BookingRequest["mode"];

interface Values {
  instrumentId: string;
  /** Wall time in the instrument's time zone (the pickers show it whatever the browser's zone). */
  start: Dayjs | null;
  end: Dayjs | null;
  mode: Mode;
  samples?: number | null;
  items?: string[];
  /** How many weeks in a row (1: this time only). */
  repeat: number | null;
}

/** The most weekly occurrences the form books at once. */
export const MAX_REPEAT = 26;

const WALL = "YYYY-MM-DDTHH:mm";

/** The picker's wall time as an instant in `zone`. */
export function wallToIso(value: Dayjs, zone: string): string {
  return dayjs.tz(value.format(WALL), zone).toISOString();
}

/** An instant as the wall time a picker shows for `zone`. */
export function isoToWall(iso: string, zone: string): Dayjs {
  const wall = zone === DISPLAY_TIME_ZONE ? toBeijingInput(iso) : dayjs(iso).tz(zone).format(WALL);
  return dayjs(wall, WALL);
}

/** Choose instrument, time, mode and samples; see the fee breakdown; then book. */
export function BookingForm({ instruments, draft }: { instruments: Instrument[]; draft: BookingDraft }) {
  const t = useText();
  const { pickName } = useI18n();
  const [form] = Form.useForm<Values>();
  const instrumentId = Form.useWatch("instrumentId", form) ?? draft.instrumentId;
  const mode = Form.useWatch("mode", form) ?? "staff_operated";
  const policy = useBookingPolicy(instrumentId);
  // Test items offered from the instrument's CMA scope (the lab's accredited tests); others may
  // still be typed. The value is the scope's Chinese name and standard, as the lab records it.
  const record = useInstrumentRecord(instrumentId);
  const scopeItems = (record.data?.scope ?? []).map((item) => ({
    value: `${item.name} ${item.standard_number}`,
    label: `${pickName(item.name, item.name_en)} · ${item.standard_number}`,
  }));
  // The API names the instrument's time zone; Beijing time until it has answered.
  const zone = policy.data?.timezone ?? DISPLAY_TIME_ZONE;
  const step = policy.data?.slot_minutes ?? 30;
  const quote = useQuote();
  const create = useCreateBooking();
  const series = useCreateSeries();
  const waitlist = useJoinWaitlist();
  const repeat = Form.useWatch("repeat", form) ?? 1;
  const selfAllowed = policy.data?.self_operated_allowed !== false;
  const staffAllowed = policy.data?.staff_operated_allowed !== false;
  // The server refused the slot as taken: the user may wait for it instead.
  const taken = create.error instanceof ApiError && /booking-conflict$/.test(create.error.problem.type ?? "");

  const request = (values: Values): BookingRequest => ({
    instrument_id: values.instrumentId,
    start_at: wallToIso(values.start!, zone),
    end_at: wallToIso(values.end!, zone),
    mode: values.mode,
    sample_count: values.mode === "staff_operated" ? (values.samples ?? 0) : 0,
    // Samples and test items are only on the form for staff-operated testing; the form leaves
    // out the values of fields it does not show.
    test_items:
      values.mode === "staff_operated" ? (values.items ?? []).map((item) => item.trim()).filter(Boolean) : [],
  });

  const book = async () => {
    const values = await form.validateFields().catch(() => null);
    if (!values) return;
    const count = values.repeat ?? 1;
    if (count > 1) series.mutate({ request: request(values), count });
    else create.mutate(request(values));
  };

  const joinWaitlist = async () => {
    const values = await form.validateFields().catch(() => null);
    if (!values) return;
    const { instrument_id, start_at, end_at, mode: wanted } = request(values);
    waitlist.mutate({ instrument_id, start_at, end_at, mode: wanted });
  };

  const zoneName = knownText(`form.zone.${zone}`)
    ? t(`form.zone.${zone}` as "form.zone.Asia/Shanghai")
    : zone;
  const required = (field: Parameters<typeof t>[0]) => ({
    required: true,
    message: t("form.required", { field: t(field) }),
  });

  return (
    <Card
      title={t("form.title")}
      className="booking-card"
      aria-label={t("form.title")}
      data-testid="booking-form"
    >
      <Form<Values>
        form={form}
        name="booking"
        layout="vertical"
        requiredMark={false}
        initialValues={{
          instrumentId: draft.instrumentId,
          start: isoToWall(draft.start, DISPLAY_TIME_ZONE),
          end: isoToWall(draft.end, DISPLAY_TIME_ZONE),
          mode: "staff_operated",
          samples: 1,
          items: [],
          repeat: 1,
        }}
        onValuesChange={() => {
          // A quote or a result for other values would mislead.
          if (quote.data || quote.error) quote.reset();
          if (create.data || create.error) create.reset();
          if (series.data || series.error) series.reset();
          if (waitlist.data || waitlist.error) waitlist.reset();
        }}
        onFinish={(values) => quote.mutate(request(values))}
      >
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item label={t("form.instrument")} name="instrumentId" rules={[required("form.instrument")]}>
              <Select
                aria-label={t("form.instrument")}
                virtual={false}
                options={instruments.map((i) => ({ value: i.id, label: pickName(i.name, i.name_en) }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item
              label={t("form.mode")}
              name="mode"
              extra={
                !selfAllowed ? (
                  <span data-testid="mode-note">{t("form.onlyStaff")}</span>
                ) : !staffAllowed ? (
                  <span data-testid="mode-note">{t("form.onlySelf")}</span>
                ) : undefined
              }
              dependencies={["instrumentId"]}
              rules={[
                {
                  validator: (_, value: Mode) =>
                    value === "self_operated" && !selfAllowed
                      ? Promise.reject(new Error(t("form.onlyStaff")))
                      : value === "staff_operated" && !staffAllowed
                        ? Promise.reject(new Error(t("form.onlySelf")))
                        : Promise.resolve(),
                },
              ]}
            >
              <Radio.Group optionType="button" buttonStyle="solid">
                <Radio.Button value="staff_operated" disabled={!staffAllowed}>
                  {t("form.mode.staff_operated")}
                </Radio.Button>
                <Radio.Button value="self_operated" disabled={!selfAllowed}>
                  {t("form.mode.self_operated")}
                </Radio.Button>
              </Radio.Group>
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item
              label={t("form.start")}
              name="start"
              rules={[
                required("form.start"),
                {
                  validator: (_, value: Dayjs | null) =>
                    !value || Date.parse(wallToIso(value, zone)) > Date.now()
                      ? Promise.resolve()
                      : Promise.reject(new Error(t("form.startPast"))),
                },
              ]}
            >
              <DatePicker
                showTime={{ format: "HH:mm", minuteStep: step as 30 }}
                format="YYYY-MM-DD HH:mm"
                needConfirm={false}
                style={{ width: "100%" }}
                data-testid="booking-start"
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item
              label={t("form.end")}
              name="end"
              dependencies={["start"]}
              rules={[
                required("form.end"),
                ({ getFieldValue }) => ({
                  validator: (_, value: Dayjs | null) => {
                    const start = getFieldValue("start") as Dayjs | null;
                    return !value || !start || value.isAfter(start)
                      ? Promise.resolve()
                      : Promise.reject(new Error(t("form.endBeforeStart")));
                  },
                }),
              ]}
            >
              <DatePicker
                showTime={{ format: "HH:mm", minuteStep: step as 30 }}
                format="YYYY-MM-DD HH:mm"
                needConfirm={false}
                style={{ width: "100%" }}
                data-testid="booking-end"
              />
            </Form.Item>
          </Col>
          {mode === "staff_operated" && (
            <>
              <Col xs={24} md={6}>
                <Form.Item
                  label={t("form.samples")}
                  name="samples"
                  rules={[{ required: true, type: "number", min: 1, message: t("form.samplesMin") }]}
                >
                  <InputNumber min={1} precision={0} style={{ width: "100%" }} />
                </Form.Item>
              </Col>
              <Col xs={24} md={18}>
                <Form.Item label={t("form.items")} name="items">
                  <Select
                    mode="tags"
                    options={scopeItems}
                    aria-label={t("form.items")}
                    tokenSeparators={[",", "，"]}
                    placeholder={t("form.itemsPlaceholder")}
                  />
                </Form.Item>
              </Col>
            </>
          )}
          <Col xs={24} md={12}>
            <Form.Item
              label={t("form.repeat")}
              name="repeat"
              extra={t("form.repeatHint")}
              rules={[
                {
                  type: "number",
                  min: 1,
                  max: MAX_REPEAT,
                  message: t("form.repeatMax", { max: MAX_REPEAT }),
                },
              ]}
            >
              <InputNumber
                min={1}
                max={MAX_REPEAT}
                precision={0}
                style={{ width: "100%" }}
                aria-label={t("form.repeat")}
              />
            </Form.Item>
          </Col>
        </Row>
        <p className="muted form-note">{t("form.timeZone", { zone: zoneName })}</p>
        <Button htmlType="submit" loading={quote.isPending}>
          {t("form.quote")}
        </Button>
      </Form>
      {quote.error && <ErrorNotice error={quote.error} timeZone={zone} />}
      {quote.data && (
        <div className="quote-block">
          <QuoteRefusals refusals={quote.data.refusals} timeZone={zone} />
          <QuoteBreakdown quote={quote.data} />
          {repeat > 1 && <p className="muted">{t("form.perOccurrence", { count: repeat })}</p>}
          <Space wrap>
            <Button type="primary" loading={create.isPending || series.isPending} onClick={() => void book()}>
              {repeat > 1 ? t("form.submitSeries", { count: repeat }) : t("form.submit")}
            </Button>
          </Space>
        </div>
      )}
      {create.error && <ErrorNotice error={create.error} timeZone={zone} />}
      {taken && !waitlist.data && (
        <div className="quote-block" data-testid="waitlist-offer">
          <p>{t("waitlist.joinHint")}</p>
          <Button loading={waitlist.isPending} onClick={() => void joinWaitlist()}>
            {t("waitlist.join")}
          </Button>
        </div>
      )}
      {waitlist.error && <ErrorNotice error={waitlist.error} timeZone={zone} />}
      {waitlist.data && (
        <Alert
          type="success"
          showIcon
          role="status"
          data-testid="waitlist-joined"
          title={t("waitlist.joined", {
            when: `${formatLocalMinute(waitlist.data.start_at, zone)}–${formatLocalMinute(waitlist.data.end_at, zone).slice(11)}`,
          })}
        />
      )}
      {series.error && <ErrorNotice error={series.error} timeZone={zone} />}
      {series.data && <SeriesOutcome result={series.data} zone={zone} />}
      {create.data && (
        <Alert
          type="success"
          showIcon
          role="status"
          data-testid="booked"
          title={t("form.booked", { status: t(`status.${create.data.status}` as "status.pending") })}
          description={t("form.reference", { reference: bookingReference(create.data.id) })}
        />
      )}
    </Card>
  );
}

/** What became of each weekly occurrence: booked (with its reference) or why not. */
function SeriesOutcome({ result, zone }: { result: SeriesResult; zone: string }) {
  const t = useText();
  const booked = result.occurrences.filter((o) => o.outcome === "booked").length;
  return (
    <Alert
      type={booked === result.occurrences.length ? "success" : "warning"}
      showIcon
      role="status"
      data-testid="series-result"
      title={t("series.title", { booked, count: result.occurrences.length })}
      description={
        <ul className="series-outcomes">
          {result.occurrences.map((o) => (
            <li key={o.start_at}>
              <Space wrap>
                <span>
                  {formatLocalMinute(o.start_at, zone)}–{formatLocalMinute(o.end_at, zone).slice(11)}
                </span>
                <Tag color={o.outcome === "booked" ? "green" : "red"}>{t(`series.outcome.${o.outcome}`)}</Tag>
                {o.booking_id && t("form.reference", { reference: bookingReference(o.booking_id) })}
              </Space>
            </li>
          ))}
        </ul>
      }
    />
  );
}

/** A short reference people can read out on the phone: the id's first eight characters. */
export function bookingReference(id: string): string {
  return id.replace(/-/g, "").slice(0, 8).toUpperCase();
}
