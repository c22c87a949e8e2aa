"""Batching and forwarding of spooled samples over MQTT QoS 1.

Live samples (spooled while the broker connection is up) go out within ``max_delay_ms`` in
batches of up to ``max_samples`` (split further so that no message exceeds
``max_payload_bytes``, the broker's message size limit). Everything spooled before the current connection — the
backlog of an outage or of an earlier run — drains oldest first at ``drain_rate`` samples/s,
alongside live data rather than ahead of it. A sample is deleted from the spool only when
the broker acknowledges (PUBACK) the message that carried it with reason code 0 (success);
a message handed to the MQTT client while the link is down stays queued there and is resent
after the reconnect.

Any other reason code keeps the samples spooled: 0x10 "no matching subscribers" (the broker
took the message but nobody, not even the ingest worker's session, was subscribed: after a
broker restart the worker may not have subscribed again yet) and the failures from 0x80 up
(not authorised, quota exceeded, too large, ...). Publishing then pauses for a backoff
(``retry_min_s``, doubling up to ``retry_max_s``, reset by the next success) and resumes from
the oldest spooled sample. Counted per reason code in ``rejected_by_reason``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Sequence
from typing import Any, Protocol

from edge_agent.clock import Clock, raise_if_cancelled
from edge_agent.poller import Reading
from edge_agent.spool import Spool, SpooledSample
from mqtt_contract.v1 import TopicKind, topic_for

__all__ = ["DEFAULT_MAX_PAYLOAD_BYTES", "REASON_NAMES", "Forwarder", "Publisher", "encode_batch"]

# The broker's message_size_limit and the ingest decoder's cap (docs/production.md).
DEFAULT_MAX_PAYLOAD_BYTES = 262_144

# MQTT 5 PUBACK reason codes a broker may answer a telemetry message with.
REASON_NAMES = {
    0x00: "success",
    0x10: "no matching subscribers",
    0x80: "unspecified error",
    0x83: "implementation specific error",
    0x87: "not authorized",
    0x90: "topic name invalid",
    0x91: "packet identifier in use",
    0x95: "packet too large",
    0x97: "quota exceeded",
    0x99: "payload format invalid",
}

log = logging.getLogger("edge_agent.forwarder")


class Publisher(Protocol):
    @property
    def connected(self) -> bool: ...

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool = False) -> int | None:
        """Hand a message to the client; the message id, or None if it was refused."""
        ...


def encode_batch(gateway: str, sent_at_ms: int, samples: Sequence[SpooledSample]) -> bytes:
    """A TelemetryBatch in wire form, grouped into one series per device point."""
    series: dict[tuple[str, str, str, str | None], list[list[Any]]] = {}
    for sample in samples:
        r = sample.reading
        value = r.value if r.value is None or math.isfinite(r.value) else None
        series.setdefault((r.device, r.point, r.unit, r.correction_id), []).append(
            [sample.seq, r.ts_ms, value, r.quality.value, r.latency_ms]
        )
    doc = {
        "v": 1,
        "gateway": gateway,
        "sent_at_ms": sent_at_ms,
        "series": [
            {
                "device": device,
                "point": point,
                "unit": unit,
                "correction_id": correction_id,
                "samples": rows,
            }
            for (device, point, unit, correction_id), rows in series.items()
        ],
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


class Forwarder:
    """The reading sink: spool first, then publish; delete on acknowledgement."""

    def __init__(
        self,
        gateway: str,
        spool: Spool,
        publisher: Publisher,
        clock: Clock,
        *,
        max_samples: int = 2000,
        max_delay_ms: int = 200,
        max_inflight: int = 20,
        drain_rate: float = 5000.0,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        retry_min_s: float = 0.5,
        retry_max_s: float = 30.0,
    ) -> None:
        self.gateway = gateway
        self.topic = topic_for(gateway, TopicKind.TELEMETRY)
        self.spool = spool
        self.publisher = publisher
        self.clock = clock
        self.max_samples = max_samples
        self.max_delay_s = max_delay_ms / 1000
        self.max_inflight = max_inflight
        self.drain_rate = drain_rate
        self.max_payload_bytes = max_payload_bytes
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self._retry_delay = 0.0
        self._held_until: float | None = None
        self._online = False
        self._live: list[SpooledSample] = []
        self._live_floor = 0
        self._backlog_cursor = 0
        self._backlog_done = True
        self._backlog_sent = 0
        self._tokens = 0.0
        self._last_pump = clock.monotonic()
        self._inflight: dict[int, list[int]] = {}
        self._inflight_seqs: set[int] = set()
        self._wake = asyncio.Event()
        self._just_dropped: set[int] = set()
        spool.pinned = lambda: self._inflight_seqs
        spool.on_drop = self._forget_dropped
        self.samples_in = 0
        self.samples_acked = 0
        self.batches_sent = 0
        # PUBACKs other than success, by reason code; their samples stayed spooled.
        self.rejected_by_reason: dict[int, int] = {}
        self.samples_rejected = 0

    # -- sink -----------------------------------------------------------------------------
    def submit(self, readings: Sequence[Reading]) -> None:
        self._just_dropped.clear()
        spooled = self.spool.append(readings)
        self.samples_in += len(spooled)
        if self._online and self._held_until is None:
            # When in-flight messages fill the cap, the cap may take these very samples.
            if self._just_dropped:
                spooled = [s for s in spooled if s.seq not in self._just_dropped]
            self._live.extend(spooled)
            if len(self._live) >= self.max_samples:
                self._wake.set()

    # -- link events (called on the event loop) -------------------------------------------
    def on_connected(self) -> None:
        self._online = True
        self._demote_live()
        self._wake.set()

    def on_disconnected(self) -> None:
        self._online = False
        self._live.clear()

    def on_ack(self, mid: int, reason_code: int = 0) -> None:
        seqs = self._inflight.pop(mid, None)
        if not seqs:
            return
        self._inflight_seqs.difference_update(seqs)
        if reason_code != 0:
            self._rejected(seqs, reason_code)
            return
        self._retry_delay = 0.0
        self.spool.delete(seqs)
        self.samples_acked += len(seqs)
        if not self._inflight:
            self._wake.set()

    def _rejected(self, seqs: list[int], reason_code: int) -> None:
        """Not delivered: the samples stay spooled; pause, then resend from the oldest."""
        self.rejected_by_reason[reason_code] = self.rejected_by_reason.get(reason_code, 0) + 1
        self.samples_rejected += len(seqs)
        if self._held_until is None:
            self._retry_delay = min(self.retry_max_s, max(self.retry_min_s, self._retry_delay * 2))
            self._held_until = self.clock.monotonic() + self._retry_delay
            log.warning(
                "broker did not deliver a telemetry message (PUBACK 0x%02x %s); %d samples "
                "stay spooled, sending again in %.1f s",
                reason_code,
                REASON_NAMES.get(reason_code, "unknown reason"),
                len(seqs),
                self._retry_delay,
            )
        self._demote_live()

    @property
    def retry_pending(self) -> bool:
        """Publishing is paused after a PUBACK that was not a success."""
        return self._held_until is not None

    def release_mid(self, mid: int) -> None:
        """The client reissued a message id: whatever still waited under it was lost.

        MQTT message ids are 16-bit and wrap; an entry still waiting when its id comes round
        again (65,535 messages later) will never be acknowledged. Its samples return to the
        backlog instead of being deleted by the new message's acknowledgement.
        """
        stale = self._inflight.pop(mid, None)
        if stale:
            log.warning("no PUBACK for %d samples; sending them again", len(stale))
            self._inflight_seqs.difference_update(stale)
            self._demote_live()

    def _forget_dropped(self, seqs: list[int]) -> None:
        dropped = set(seqs)
        self._just_dropped |= dropped
        if self._live:
            self._live = [s for s in self._live if s.seq not in dropped]

    @property
    def inflight_messages(self) -> int:
        return len(self._inflight)

    @property
    def backlog_pending(self) -> bool:
        return not self._backlog_done

    def _demote_live(self) -> None:
        """Everything spooled so far becomes backlog, drained from the oldest."""
        self._live.clear()
        self._live_floor = self.spool.next_seq
        self._backlog_cursor = 0
        self._backlog_done = False
        self._backlog_sent = 0

    # -- publishing -----------------------------------------------------------------------
    def _send(self, samples: list[SpooledSample]) -> bool:
        payload = encode_batch(self.gateway, self.clock.wall_ms(), samples)
        if len(payload) > self.max_payload_bytes and len(samples) > 1:
            # The broker would refuse it (and go on refusing it): send it in halves.
            half = len(samples) // 2
            return self._send(samples[:half]) and self._send(samples[half:])
        mid = self.publisher.publish(self.topic, payload, qos=1)
        if mid is None:
            # The client refused the message: the samples stay in the spool as backlog.
            log.warning("telemetry publish refused; %d samples stay spooled", len(samples))
            self._demote_live()
            return False
        self.release_mid(mid)
        seqs = [s.seq for s in samples]
        self._inflight[mid] = seqs
        self._inflight_seqs.update(seqs)
        self.batches_sent += 1
        return True

    def pump(self) -> None:
        """Publish what is due now: live samples first, then a rate-limited slice of backlog."""
        now = self.clock.monotonic()
        cap = max(self.drain_rate, float(self.max_samples))
        self._tokens = min(cap, self._tokens + (now - self._last_pump) * self.drain_rate)
        self._last_pump = now
        if not self._online:
            return
        if self._held_until is not None:
            if now < self._held_until:
                return
            self._held_until = None
            self._demote_live()
        while self._live and len(self._inflight) < self.max_inflight:
            batch, self._live = self._live[: self.max_samples], self._live[self.max_samples :]
            if not self._send(batch):
                return
        if len(self._live) > self.max_samples * self.max_inflight:
            # The broker is slower than the instruments: stop holding live samples in memory.
            self._demote_live()
        while not self._backlog_done and len(self._inflight) < self.max_inflight:
            budget = min(self.max_samples, int(self._tokens))
            if budget < 1:
                return
            rows = self.spool.fetch(self._backlog_cursor, self._live_floor, budget)
            if not rows:
                self._backlog_done = True
                if self._backlog_sent:
                    log.info("spool backlog drained: %d samples sent", self._backlog_sent)
                return
            self._backlog_cursor = rows[-1].seq
            fresh = [r for r in rows if r.seq not in self._inflight_seqs]
            if fresh:
                self._tokens -= len(fresh)
                self._backlog_sent += len(fresh)
                if not self._send(fresh):
                    return

    async def run(self) -> None:
        while True:
            raise_if_cancelled()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.max_delay_s)
            self._wake.clear()
            self.pump()

    async def drain(self, timeout_s: float) -> bool:
        """Publish live samples and wait for their acknowledgements (used at shutdown)."""
        deadline = self.clock.monotonic() + timeout_s
        while self.clock.monotonic() < deadline:
            self.pump()
            if not self._live and not self._inflight:
                return not self._held_until
            if not self._online:
                return False
            await asyncio.sleep(0.02)
        return False
