"""Decisions on inbound MQTT messages, free of I/O: what is stored, what is dead-lettered.

A message is decoded once (in the MQTT thread), then planned against a
:class:`ChannelDirectory` of known gateways and channels. A telemetry batch may be split: its
good series become rows, and the message's bad series become one dead letter carrying the raw
payload once and a reason per refused series. Nothing is dropped silently: decoding never
raises, whatever the payload, and a gateway that floods dead letters has them counted in a
summary record (:class:`DeadLetterLimiter`) instead of stored one by one.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import ValidationError

from mqtt_contract.inspection_v1 import InspectionBatch, decode_inspection
from mqtt_contract.program_v1 import ProgramRun, decode_program_run
from mqtt_contract.v1 import (
    MAX_PAYLOAD_BYTES,
    QUALITY_CODES,
    GatewayState,
    Heartbeat,
    TopicKind,
    check_payload,
    parse_topic,
)
from server.telemetry.units import IncompatibleUnitError, UnitConverter
from server.telemetry.wire import WireBatch, decode_telemetry

__all__ = [
    "DEFAULT_DEAD_LETTERS_PER_MINUTE",
    "FUTURE_TOLERANCE_MS",
    "LATE_AFTER_MS",
    "ChannelDirectory",
    "ChannelRef",
    "DeadLetter",
    "DeadLetterLimiter",
    "DeadLetterReason",
    "GatewayRef",
    "GatewayUpdate",
    "Inbound",
    "LateRange",
    "Refusal",
    "SeriesRows",
    "TelemetryPlan",
    "TelemetryRow",
    "decode_inbound",
    "gateways_to_refresh",
    "plan_gateway_update",
    "plan_inspections",
    "plan_telemetry",
]

log = logging.getLogger("labshare.ingest")

FUTURE_TOLERANCE_MS = 5 * 60 * 1000
"""Samples stamped further ahead of the server clock than this come from a broken clock."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_QUALITY_CODES = {q.value: code for q, code in QUALITY_CODES.items()}

TelemetryRow = tuple[int, datetime, float | None, int, int]
"""``(channel_id, ts, value, quality, seq)``, the column order of the telemetry table."""

LateRange = tuple[int, datetime, datetime]
"""``(channel_id, earliest ts, latest ts)`` of a series stored after its rollup may have run."""

LATE_AFTER_MS = 5 * 60 * 1000
"""Series with a sample older than this are reported to the rollup job as late.

The rollup re-reads the last 15 minutes on every run; reporting from 5 minutes on leaves
10 minutes for a write delayed after planning and for the job's own interval.
"""


class DeadLetterReason(StrEnum):
    INVALID_PAYLOAD = "invalid_payload"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    GATEWAY_MISMATCH = "gateway_mismatch"
    UNKNOWN_GATEWAY = "unknown_gateway"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_CHARACTERISTIC = "unknown_characteristic"
    INCOMPATIBLE_UNIT = "incompatible_unit"
    FUTURE_TIMESTAMP = "future_timestamp"
    STORAGE_REJECTED = "storage_rejected"
    INGEST_ERROR = "ingest_error"
    SUPPRESSED = "suppressed"


REASON_TEXT_MAX_CHARS = 16_384
"""Longest ``dead_letter.reason``; the rest of a long list is counted (the payload has it all)."""

KEPT_PREFIX_BYTES = 1024
"""How much of an oversized payload its dead letter keeps."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """One reason a message or one of its series is refused.

    ``series`` (``device/point``) is set for series-level reasons; refusals of several series
    with the same code and detail are written as one entry listing the series.
    """

    reason: DeadLetterReason
    detail: str
    series: str | None = None

    @property
    def text(self) -> str:
        where = f"series {self.series}: " if self.series else ""
        return f"{self.reason.value}: {where}{self.detail}"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead-letter record: a refused message, its raw payload once, every reason.

    ``payload`` is ``None`` for a summary of suppressed dead letters (see
    :class:`DeadLetterLimiter`).
    """

    topic: str
    gateway_key: str | None
    refusals: tuple[Refusal, ...]
    payload: bytes | None

    @classmethod
    def of(
        cls,
        topic: str,
        gateway_key: str | None,
        reason: DeadLetterReason,
        detail: str,
        payload: bytes | None,
    ) -> DeadLetter:
        """A dead letter with a single, message-level reason."""
        return cls(topic, gateway_key, (Refusal(reason, detail),), payload)

    @property
    def reason(self) -> DeadLetterReason:
        """The first reason (metrics are labelled with it)."""
        return self.refusals[0].reason

    @property
    def detail(self) -> str:
        """The detail of the first reason, with its series."""
        first = self.refusals[0]
        return f"series {first.series}: {first.detail}" if first.series else first.detail

    @property
    def reason_text(self) -> str:
        """What lands in ``dead_letter.reason``: ``"<code>: <detail>"`` entries joined by ``"; "``.

        Series refused for the same code and detail share one entry (``series a/b, a/c:``),
        and the text is cut at :data:`REASON_TEXT_MAX_CHARS` with a count of what is left out.
        """
        groups: dict[tuple[DeadLetterReason, str], list[str]] = {}
        singles: list[tuple[tuple[DeadLetterReason, str], Refusal]] = []
        for refusal in self.refusals:
            key = (refusal.reason, refusal.detail)
            if refusal.series is None:
                singles.append((key, refusal))
                continue
            if key not in groups:
                groups[key] = []
                singles.append((key, refusal))
            groups[key].append(refusal.series)
        entries: list[str] = []
        for key, refusal in singles:
            names = groups.get(key) if refusal.series is not None else None
            if names is None:
                entries.append(refusal.text)
            else:
                entries.append(f"{key[0].value}: series {', '.join(names)}: {key[1]}")
        text = "; ".join(entries)
        if len(text) <= REASON_TEXT_MAX_CHARS:
            return text
        cut = text[: REASON_TEXT_MAX_CHARS - 100]
        return (
            f"{cut} … (cut at {len(cut)} of {len(text)} characters; "
            f"{len(self.refusals)} reasons in all, the payload holds every series)"
        )


@dataclass(frozen=True, slots=True)
class GatewayRef:
    id: uuid.UUID
    key: str


@dataclass(frozen=True, slots=True)
class ChannelRef:
    id: int
    canonical_unit: str


@dataclass(slots=True)
class _GatewayEntry:
    gateway: GatewayRef | None
    channels: dict[tuple[str, str], ChannelRef]
    loaded_at: float


class ChannelDirectory:
    """Known gateways and their channels, keyed the way gateways address them.

    Filled from the database by the worker; entries older than ``max_age_s`` count as
    missing so a changed canonical unit or a new channel is picked up without a restart.
    """

    def __init__(self, max_age_s: float = 60.0, miss_retry_s: float = 1.0) -> None:
        self.max_age_s = max_age_s
        self.miss_retry_s = miss_retry_s
        self._entries: dict[str, _GatewayEntry] = {}

    def replace(
        self,
        key: str,
        gateway: GatewayRef | None,
        channels: dict[tuple[str, str], ChannelRef],
        *,
        now: float | None = None,
    ) -> None:
        loaded_at = time.monotonic() if now is None else now
        self._entries[key] = _GatewayEntry(gateway, dict(channels), loaded_at)

    def expire(self) -> None:
        """Count every entry as stale: each is reloaded before its gateway's next batch, while
        a batch already being planned still finds the entries it loaded."""
        for entry in self._entries.values():
            entry.loaded_at = float("-inf")

    def age(self, key: str, now: float | None = None) -> float | None:
        """Seconds since ``key`` was loaded; ``None`` if it never was."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        return (time.monotonic() if now is None else now) - entry.loaded_at

    def gateway(self, key: str) -> GatewayRef | None:
        entry = self._entries.get(key)
        return None if entry is None else entry.gateway

    def channel(self, key: str, device: str, point: str) -> ChannelRef | None:
        entry = self._entries.get(key)
        return None if entry is None else entry.channels.get((device, point))

    def gateway_by_id(self, gateway_id: uuid.UUID) -> GatewayRef | None:
        for entry in self._entries.values():
            if entry.gateway is not None and entry.gateway.id == gateway_id:
                return entry.gateway
        return None


@dataclass(slots=True)
class Inbound:
    """One MQTT message after decoding, before any database lookup."""

    topic: str
    payload: bytes
    kind: TopicKind | None
    topic_gateway: str | None
    message: WireBatch | GatewayState | Heartbeat | InspectionBatch | ProgramRun | None
    error: str | None
    error_reason: DeadLetterReason = DeadLetterReason.INVALID_PAYLOAD
    """Why ``message`` is ``None``: the dead-letter code that goes with ``error``."""


def decode_inbound(
    topic: str, payload: bytes, max_payload_bytes: int = MAX_PAYLOAD_BYTES
) -> Inbound:
    """Parse the topic and validate the payload against the contract; never raises.

    A payload longer than ``max_payload_bytes`` is refused unread (``payload_too_large``);
    any other failure, expected or not, becomes the message's ``error``.
    """
    try:
        parsed = parse_topic(topic)
    except Exception as exc:
        return Inbound(topic, payload, None, None, None, f"topic cannot be read: {exc!r}")
    if parsed is None:
        return Inbound(topic, payload, None, None, None, "topic is not a labshare/v1 topic")
    if len(payload) > max_payload_bytes:
        return Inbound(
            topic, payload, parsed.kind, parsed.gateway, None,
            f"payload of {len(payload)} bytes is larger than the limit of "
            f"{max_payload_bytes} bytes (the first {KEPT_PREFIX_BYTES} bytes are kept)",
            DeadLetterReason.PAYLOAD_TOO_LARGE,
        )  # fmt: skip
    try:
        message: WireBatch | GatewayState | Heartbeat | InspectionBatch | ProgramRun
        if parsed.kind is TopicKind.TELEMETRY:
            message = decode_telemetry(payload, max_payload_bytes)
        elif parsed.kind is TopicKind.INSPECTION:
            message = decode_inspection(payload, max_payload_bytes)
        elif parsed.kind is TopicKind.PROGRAM:
            message = decode_program_run(payload, max_payload_bytes)
        elif parsed.kind is TopicKind.STATE:
            check_payload(payload, max_payload_bytes)
            message = GatewayState.model_validate_json(payload)
        elif parsed.kind is TopicKind.HEARTBEAT:
            check_payload(payload, max_payload_bytes)
            message = Heartbeat.model_validate_json(payload)
        else:
            return Inbound(
                topic, payload, parsed.kind, parsed.gateway, None,
                f"the server does not accept {parsed.kind.value} messages",
            )  # fmt: skip
    except ValidationError as exc:
        return Inbound(topic, payload, parsed.kind, parsed.gateway, None, _summarise(exc))
    except ValueError as exc:
        return Inbound(topic, payload, parsed.kind, parsed.gateway, None, str(exc))
    except Exception as exc:
        return Inbound(
            topic, payload, parsed.kind, parsed.gateway, None,
            f"the decoder failed on this payload: {type(exc).__name__}: {exc}"[:500],
            DeadLetterReason.INGEST_ERROR,
        )  # fmt: skip
    return Inbound(topic, payload, parsed.kind, parsed.gateway, message, None)


def _summarise(exc: ValidationError, limit: int = 5) -> str:
    errors = exc.errors(include_url=False)
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in errors[:limit]
    ]
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts) + more


def refused_inbound(msg: Inbound) -> DeadLetter:
    """The dead letter of a message that could not be decoded (or is of a refused kind)."""
    payload = msg.payload
    if msg.error_reason is DeadLetterReason.PAYLOAD_TOO_LARGE:
        payload = payload[:KEPT_PREFIX_BYTES]
    return DeadLetter.of(
        msg.topic, msg.topic_gateway, msg.error_reason, msg.error or "invalid payload", payload
    )


def _envelope_dead_letter(msg: Inbound, directory: ChannelDirectory) -> DeadLetter | None:
    """The reason a whole message is refused, or ``None`` if its series may be looked at."""
    if msg.message is None:
        return refused_inbound(msg)
    if msg.message.gateway != msg.topic_gateway:
        return DeadLetter.of(
            msg.topic, msg.topic_gateway, DeadLetterReason.GATEWAY_MISMATCH,
            f"payload names gateway {msg.message.gateway!r} but was published on the topic of "
            f"gateway {msg.topic_gateway!r}",
            msg.payload,
        )  # fmt: skip
    if directory.gateway(msg.message.gateway) is None:
        return DeadLetter.of(
            msg.topic, msg.topic_gateway, DeadLetterReason.UNKNOWN_GATEWAY,
            f"gateway {msg.message.gateway!r} is not registered", msg.payload,
        )  # fmt: skip
    return None


def plan_inspections(
    messages: Iterable[Inbound],
    directory: ChannelDirectory,
    kind: TopicKind = TopicKind.INSPECTION,
) -> tuple[list[tuple[Inbound, uuid.UUID]], list[DeadLetter]]:
    """Decoded messages of ``kind`` (inspection, program runs) of known gateways, with the
    gateway id, and the refused."""
    accepted: list[tuple[Inbound, uuid.UUID]] = []
    refused: list[DeadLetter] = []
    for msg in messages:
        if msg.kind is not kind or msg.message is None:
            continue
        dead = _envelope_dead_letter(msg, directory)
        gateway = directory.gateway(msg.topic_gateway or "")
        if dead is not None or gateway is None:
            refused.append(dead or refused_inbound(msg))
        else:
            accepted.append((msg, gateway.id))
    return accepted, refused


def _timestamp(ts_ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ts_ms)


@dataclass(frozen=True, slots=True)
class SeriesRows:
    """The rows of one stored series, column by column (one channel, values converted).

    The writer encodes the columns into COPY data in bulk; :meth:`rows` gives the same rows
    as :data:`TelemetryRow` tuples.
    """

    channel_id: int
    ts_ms: Sequence[int]
    values: Sequence[float | None]
    qualities: Sequence[int]
    """Codes of ``mqtt_contract.v1.QUALITY_CODES``."""
    seqs: Sequence[int]

    def __len__(self) -> int:
        return len(self.seqs)

    def rows(self) -> list[TelemetryRow]:
        channel_id = self.channel_id
        return [
            (channel_id, _timestamp(ts_ms), value, quality, seq)
            for ts_ms, value, quality, seq in zip(
                self.ts_ms, self.values, self.qualities, self.seqs, strict=True
            )
        ]

    def newest(self) -> TelemetryRow:
        """The row with the latest timestamp (the last of them when several share it)."""
        stamps = self.ts_ms
        latest = max(stamps)
        i = len(stamps) - 1 - stamps[::-1].index(latest)
        return (
            self.channel_id,
            _timestamp(latest),
            self.values[i],
            self.qualities[i],
            self.seqs[i],
        )


@dataclass(slots=True)
class TelemetryPlan:
    gateway: GatewayRef | None = None
    series: list[SeriesRows] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    late: list[LateRange] = field(default_factory=list)

    @property
    def rows(self) -> list[TelemetryRow]:
        """Every row to store, series after series."""
        return [row for stored in self.series for row in stored.rows()]


def plan_telemetry(
    msg: Inbound,
    directory: ChannelDirectory,
    converter: UnitConverter,
    now_ms: int | None = None,
) -> TelemetryPlan:
    """Rows to store and dead letters to record for one telemetry message.

    Works a series at a time: timestamps are judged by their minimum and maximum, and the
    only per-sample work is a unit conversion that is not the identity.
    """
    refused = _envelope_dead_letter(msg, directory)
    if refused is not None:
        return TelemetryPlan(dead_letters=[refused])
    batch = msg.message
    assert isinstance(batch, WireBatch)
    gateway = directory.gateway(batch.gateway)
    assert gateway is not None
    plan = TelemetryPlan(gateway=gateway)
    now = int(time.time() * 1000) if now_ms is None else now_ms
    horizon = now + FUTURE_TOLERANCE_MS
    late_before = now - LATE_AFTER_MS
    codes = _QUALITY_CODES
    refusals: list[Refusal] = []
    for series in batch.series:
        name = f"{series.device}/{series.point}"
        # Every decoded sample was received, so its number counts against gap detection
        # even when its series is refused.
        plan.seqs.extend(series.seqs)
        reason: DeadLetterReason | None = None
        detail = ""
        channel = directory.channel(batch.gateway, series.device, series.point)
        if channel is None:
            reason = DeadLetterReason.UNKNOWN_CHANNEL
            detail = f"gateway {batch.gateway!r} has no channel for this device point"
        else:
            try:
                conversion = converter.conversion(series.unit, channel.canonical_unit)
            except IncompatibleUnitError as exc:
                reason = DeadLetterReason.INCOMPATIBLE_UNIT
                detail = str(exc)
            else:
                latest = max(series.ts_ms)
                if latest > horizon:
                    reason = DeadLetterReason.FUTURE_TIMESTAMP
                    ahead_s = (latest - horizon + FUTURE_TOLERANCE_MS) / 1000
                    detail = (
                        f"sample timestamp {latest} ms is {ahead_s:.0f} s ahead of "
                        f"the server clock (tolerance {FUTURE_TOLERANCE_MS // 1000} s)"
                    )
        if reason is not None:
            refusals.append(Refusal(reason, detail, name))
            continue
        assert channel is not None
        earliest = min(series.ts_ms)
        if earliest < late_before:
            plan.late.append((channel.id, _timestamp(earliest), _timestamp(latest)))
        values: Sequence[float | None] = series.values
        if not conversion.is_identity:
            factor, offset = conversion.factor, conversion.offset
            values = [None if v is None else v * factor + offset for v in values]
        plan.series.append(
            SeriesRows(
                channel.id,
                series.ts_ms,
                values,
                list(map(codes.__getitem__, series.qualities)),
                series.seqs,
            )
        )
    if refusals:
        # One record per message: the payload once, every refused series in the reasons.
        plan.dead_letters.append(
            DeadLetter(msg.topic, msg.topic_gateway, tuple(refusals), msg.payload)
        )
    return plan


@dataclass(frozen=True, slots=True)
class GatewayUpdate:
    gateway_id: uuid.UUID
    status: str | None
    config_hash: str | None
    # Kept as the gateway's latest heartbeat (lag and spool depth in the gateways API).
    heartbeat: Heartbeat | None = None


def plan_gateway_update(msg: Inbound, directory: ChannelDirectory) -> GatewayUpdate | DeadLetter:
    """What a state (birth/death) or heartbeat message changes on its gateway."""
    refused = _envelope_dead_letter(msg, directory)
    if refused is not None:
        return refused
    gateway = directory.gateway(msg.topic_gateway or "")
    assert gateway is not None
    message = msg.message
    if isinstance(message, GatewayState):
        return GatewayUpdate(gateway.id, message.status, message.config_hash)
    # A heartbeat proves the gateway is connected, whatever the last state message said.
    heartbeat = message if isinstance(message, Heartbeat) else None
    return GatewayUpdate(gateway.id, "online", None, heartbeat)


def gateways_to_refresh(
    messages: Iterable[Inbound], directory: ChannelDirectory, now: float | None = None
) -> set[str]:
    """Gateway keys whose directory entry is missing, stale, or lacks a gateway or channel in use.

    A miss on an entry loaded less than ``directory.miss_retry_s`` ago is not retried, so a
    gateway publishing for devices it does not own costs at most one query per interval.
    """
    current = time.monotonic() if now is None else now
    wanted: set[str] = set()
    for msg in messages:
        if msg.message is None or msg.topic_gateway is None:
            continue
        key = msg.message.gateway
        if key != msg.topic_gateway or key in wanted:
            continue
        age = directory.age(key, current)
        stale = age is None or age > directory.max_age_s
        if stale or (
            age is not None and age > directory.miss_retry_s and _has_miss(msg, directory)
        ):
            wanted.add(key)
    return wanted


def _has_miss(msg: Inbound, directory: ChannelDirectory) -> bool:
    key = msg.topic_gateway or ""
    if directory.gateway(key) is None:
        return True
    if isinstance(msg.message, WireBatch):
        return any(directory.channel(key, s.device, s.point) is None for s in msg.message.series)
    return False


DEFAULT_DEAD_LETTERS_PER_MINUTE = 60
"""Dead-letter records stored per gateway and minute (with bursts of as many) by default."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    suppressed: Counter[DeadLetterReason] = field(default_factory=Counter)
    since: float | None = None
    since_wall_ms: int = 0
    topic: str = ""


class DeadLetterLimiter:
    """A token bucket per gateway on the dead letters that are stored with their payload.

    A gateway may have ``per_minute`` records stored a minute, in bursts of as many. Beyond
    that its dead letters are counted by reason instead; one summary record (reason
    ``suppressed``, no payload) per gateway and ``summary_after_s`` says how many were left
    out and why. A gateway that publishes garbage in a loop thus costs a few records a minute,
    not one per message, and the other gateways' dead letters are not affected.
    """

    def __init__(
        self, per_minute: int = DEFAULT_DEAD_LETTERS_PER_MINUTE, summary_after_s: float = 60.0
    ) -> None:
        if per_minute < 1:
            raise ValueError("the dead-letter limit must be at least 1 a minute")
        self.per_minute = per_minute
        self.summary_after_s = summary_after_s
        self._buckets: dict[str, _Bucket] = {}

    def admit(self, letter: DeadLetter, now: float | None = None) -> bool:
        """Whether ``letter`` may be stored; if not, it is counted for the next summary."""
        current = time.monotonic() if now is None else now
        key = letter.gateway_key or letter.topic
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.per_minute), current)
        rate = self.per_minute / 60.0
        bucket.tokens = min(
            float(self.per_minute), bucket.tokens + (current - bucket.updated) * rate
        )
        bucket.updated = current
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True
        if bucket.since is None:
            bucket.since = current
            bucket.since_wall_ms = int(time.time() * 1000)
        bucket.suppressed[letter.reason] += 1
        bucket.topic = letter.topic
        return False

    @property
    def pending(self) -> int:
        """Suppressed dead letters not yet reported in a summary."""
        return sum(b.suppressed.total() for b in self._buckets.values())

    def summaries(self, now: float | None = None, *, flush: bool = False) -> list[DeadLetter]:
        """Summary records due (``summary_after_s`` after the first suppression), or all."""
        current = time.monotonic() if now is None else now
        due: list[DeadLetter] = []
        for key, bucket in list(self._buckets.items()):
            if bucket.since is None:
                if current - bucket.updated > 2 * 60.0:
                    del self._buckets[key]  # full again and quiet: forget the gateway
                continue
            if not flush and current - bucket.since < self.summary_after_s:
                continue
            counts = ", ".join(f"{r.value} {n}" for r, n in bucket.suppressed.most_common())
            started = datetime.fromtimestamp(bucket.since_wall_ms / 1000, UTC)
            detail = (
                f"{bucket.suppressed.total()} dead letters of {key!r} were not stored in the "
                f"{current - bucket.since:.0f} s from {started:%Y-%m-%dT%H:%M:%SZ} "
                f"(limit {self.per_minute} a minute): {counts}"
            )
            due.append(DeadLetter.of(bucket.topic, key, DeadLetterReason.SUPPRESSED, detail, None))
            bucket.suppressed = Counter()
            bucket.since = None
        return due
