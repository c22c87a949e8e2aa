import { Button, DatePicker, Form, Modal } from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { DISPLAY_TIME_ZONE } from "../../lib/format";
import { useBookingPolicy, useReschedule, type Booking } from "./api";
import { isoToWall, wallToIso } from "./BookingForm";
import { useText } from "./text";

interface Values {
  start: Dayjs | null;
  end: Dayjs | null;
}

/** Move a booking to another time: the new booking gets a new reference, the old is cancelled
 *  (so this button goes with it: `onMoved` tells the list, which says so). */
export function RescheduleButton({
  booking,
  onMoved,
}: {
  booking: Booking;
  onMoved: (moved: Booking) => void;
}) {
  const t = useText();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<Values>();
  const policy = useBookingPolicy(booking.instrument_id, open);
  const zone = policy.data?.timezone ?? DISPLAY_TIME_ZONE;
  const step = policy.data?.slot_minutes ?? 30;
  const move = useReschedule();

  const submit = async () => {
    const values = await form.validateFields().catch(() => null);
    if (!values?.start || !values.end) return;
    // The old booking's row (and this button with it) goes once the list reloads, so the
    // outcome is handed to the list rather than shown here; a refusal stays in the dialog.
    const moved = await move
      .mutateAsync({
        id: booking.id,
        start_at: wallToIso(values.start, zone),
        end_at: wallToIso(values.end, zone),
      })
      .catch(() => null);
    if (moved) {
      setOpen(false);
      onMoved(moved);
    }
  };
  const picker = (testId: string) => (
    <DatePicker
      showTime={{ format: "HH:mm", minuteStep: step as 30 }}
      format="YYYY-MM-DD HH:mm"
      needConfirm={false}
      style={{ width: "100%" }}
      data-testid={testId}
    />
  );

  return (
    <>
      <Button size="small" onClick={() => setOpen(true)}>
        {t("reschedule.button")}
      </Button>
      <Modal
        open={open}
        title={t("reschedule.title")}
        okText={t("reschedule.ok")}
        cancelText={t("cancel.back")}
        onOk={() => void submit()}
        okButtonProps={{ loading: move.isPending }}
        onCancel={() => {
          setOpen(false);
          move.reset();
        }}
        destroyOnHidden
      >
        <p className="muted">
          {t("reschedule.hint", { hours: policy.data?.cancellation_window_hours ?? 24 })}
        </p>
        <Form<Values>
          form={form}
          layout="vertical"
          requiredMark={false}
          initialValues={{
            start: isoToWall(booking.start_at, zone),
            end: isoToWall(booking.end_at, zone),
          }}
          onValuesChange={() => move.reset()}
        >
          <Form.Item
            label={t("form.start")}
            name="start"
            rules={[
              { required: true, message: t("form.required", { field: t("form.start") }) },
              {
                validator: (_, value: Dayjs | null) =>
                  !value || Date.parse(wallToIso(value, zone)) > Date.now()
                    ? Promise.resolve()
                    : Promise.reject(new Error(t("form.startPast"))),
              },
            ]}
          >
            {picker("reschedule-start")}
          </Form.Item>
          <Form.Item
            label={t("form.end")}
            name="end"
            dependencies={["start"]}
            rules={[
              { required: true, message: t("form.required", { field: t("form.end") }) },
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
            {picker("reschedule-end")}
          </Form.Item>
        </Form>
        {move.error && <ErrorNotice error={move.error} timeZone={zone} />}
      </Modal>
    </>
  );
}
