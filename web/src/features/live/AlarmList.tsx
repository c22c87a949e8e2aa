import { useMutation } from "@tanstack/react-query";
import { Button, Input, Space } from "antd";
import { useState } from "react";
import { useApi } from "../../api";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useI18n } from "../../i18n";
import { formatMeasurement, formatShanghaiTime } from "../../lib/format";
import type { BoardInstrument } from "./board";
import { useLiveText } from "./text";
import { alarmKey, sortAlarms, type BoardAlarm } from "./tile";

type Tx = ReturnType<typeof useLiveText>;

/** One alarm in words: what, where, since when. */
export function useAlarmText() {
  const tx = useLiveText();
  const { pickName } = useI18n();
  return (alarm: BoardAlarm, instruments: readonly BoardInstrument[]): string => {
    const instrument = instruments.find((i) => i.id === alarm.instrument_id);
    const reading = instrument?.readings.find((r) => r.channel_id === alarm.channel_id);
    const channel = reading ? pickName(reading.name, reading.name_en) : String(alarm.channel_id ?? "");
    switch (alarm.kind) {
      case "state_fault":
        return tx("alarm.state_fault");
      case "loop_fault":
        return tx("alarm.loop_fault", {
          channel,
          detail: tx(alarm.quality === "loop_high_fault" ? "alarm.loop_high_fault" : "alarm.loop_low_fault"),
        });
      case "out_of_range":
        return tx("alarm.out_of_range", {
          channel,
          value: formatMeasurement(alarm.value ?? null, reading?.unit ?? null),
        });
      case "gateway_offline":
        return tx("alarm.gateway_offline", { gateway: alarm.gateway_key ?? alarm.subject });
      case "spc":
        return tx("alarm.spc", { characteristic: alarm.characteristic ?? "", rule: spcRule(alarm, tx) });
    }
  };
}

function spcRule(alarm: BoardAlarm, tx: Tx): string {
  if (alarm.spc_kind === "out_of_spec") return tx("alarm.spc.out_of_spec");
  if (alarm.spc_kind === "spread") return tx("alarm.spc.spread");
  return tx("alarm.spc.rule", { rule: alarm.spc_rule ?? "" });
}

export function AcknowledgedLine({ alarm }: { alarm: BoardAlarm }) {
  const tx = useLiveText();
  if (!alarm.acknowledged) return null;
  return (
    <div className="alarm-ack" data-testid="alarm-acknowledged">
      {tx("alarms.acknowledged", {
        by: alarm.acknowledged.by,
        time: formatShanghaiTime(alarm.acknowledged.at),
        note: alarm.acknowledged.note,
      })}
    </div>
  );
}

/** The board's alarms, unacknowledged first, each with its instrument and an acknowledge form. */
export function AlarmList({
  alarms,
  instruments,
  onChanged,
}: {
  alarms: readonly BoardAlarm[];
  instruments: readonly BoardInstrument[];
  onChanged: () => void;
}) {
  const tx = useLiveText();
  const { pickName } = useI18n();
  const describe = useAlarmText();
  return (
    <section className="card board-alarms" data-testid="board-alarms" aria-label={tx("alarms.title")}>
      <h2>{tx("alarms.count", { count: alarms.filter((a) => !a.acknowledged).length })}</h2>
      {alarms.length === 0 && <p className="muted">{tx("alarms.none")}</p>}
      <ul>
        {sortAlarms(alarms).map((alarm) => {
          const instrument = instruments.find((i) => i.id === alarm.instrument_id);
          return (
            <li
              key={alarmKey(alarm)}
              data-testid="board-alarm"
              data-kind={alarm.kind}
              className={alarm.acknowledged ? "acknowledged" : undefined}
            >
              <div className="alarm-head">
                <strong>
                  {instrument ? pickName(instrument.name, instrument.name_en) : tx("alarm.station")}
                </strong>
                <span>{describe(alarm, instruments)}</span>
                {alarm.since && (
                  <span className="muted">
                    {tx("alarms.since", { time: formatShanghaiTime(alarm.since) })}
                  </span>
                )}
              </div>
              {alarm.acknowledged ? (
                <AcknowledgedLine alarm={alarm} />
              ) : (
                <AcknowledgeForm alarm={alarm} onDone={onChanged} />
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function AcknowledgeForm({ alarm, onDone }: { alarm: BoardAlarm; onDone: () => void }) {
  const api = useApi();
  const tx = useLiveText();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const [action, setAction] = useState("");
  const spc = alarm.kind === "spc";
  const ack = useMutation({
    mutationFn: async () => {
      if (spc) {
        await api.http.POST("/api/v1/inspection/alarms/{alarm_id}/acknowledge", {
          params: { path: { alarm_id: alarm.spc_alarm_id ?? 0 } },
          body: { cause: note.trim(), action: action.trim() },
        });
        return;
      }
      await api.http.POST("/api/v1/instruments/{instrument_id}/alarms/acknowledge", {
        params: { path: { instrument_id: alarm.instrument_id ?? "" } },
        body: { kind: alarm.kind, subject: alarm.subject, since: alarm.since ?? "", note: note.trim() },
      });
    },
    onSuccess: () => {
      setOpen(false);
      onDone();
    },
    onError: () => onDone(),
  });
  if (!open) {
    return (
      <Button size="small" onClick={() => setOpen(true)}>
        {tx("alarms.acknowledge")}
      </Button>
    );
  }
  const ready = note.trim() !== "" && (!spc || action.trim() !== "");
  return (
    <form
      className="alarm-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (ready) ack.mutate();
      }}
    >
      <Space wrap>
        <Input
          size="small"
          aria-label={spc ? tx("alarms.cause") : tx("alarms.note")}
          placeholder={spc ? tx("alarms.cause") : tx("alarms.note")}
          value={note}
          maxLength={2000}
          onChange={(e) => setNote(e.target.value)}
        />
        {spc && (
          <Input
            size="small"
            aria-label={tx("alarms.action")}
            placeholder={tx("alarms.action")}
            value={action}
            maxLength={2000}
            onChange={(e) => setAction(e.target.value)}
          />
        )}
        <Button size="small" type="primary" htmlType="submit" disabled={!ready} loading={ack.isPending}>
          {tx("alarms.submit")}
        </Button>
        <Button size="small" onClick={() => setOpen(false)}>
          {tx("alarms.cancel")}
        </Button>
      </Space>
      {ack.isError && <ErrorNotice error={ack.error} />}
    </form>
  );
}
