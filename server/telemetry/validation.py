"""Decisions on inbound MQTT messages, free of I/O: what is stored, what is dead-lettered.

A message is decoded once (in the MQTT thread), then planned against a
:class:`ChannelDirectory` of known gateways and channels. A telemetry batch may be split: its
good series become rows, each bad series becomes one dead letter carrying the whole raw
payload and a reason naming the series. Nothing is dropped silently.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import ValidationError

from mqtt_contract.v1 import (
    QUALITY_CODES,
    GatewayState,
    Heartbeat,
    TopicKind,
    parse_topic,
)
from server.telemetry.units import IncompatibleUnitError, UnitConverter
from server.telemetry.wire import WireBatch, decode_telemetry

__all__ = [
    "FUTURE_TOLERANCE_MS",
    "LATE_AFTER_MS",
    "ChannelDirectory",
    "ChannelRef",
    "DeadLetter",
    "DeadLetterReason",
    "GatewayRef",
    "GatewayUpdate",
    "Inbound",
    "LateRange",
    "SeriesRows",
    "TelemetryPlan",
    "TelemetryRow",
    "decode_inbound",
    "gateways_to_refresh",
    "plan_gateway_update",
    "plan_telemetry",
]

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
    GATEWAY_MISMATCH = "gateway_mismatch"
    UNKNOWN_GATEWAY = "unknown_gateway"
    UNKNOWN_CHANNEL = "unknown_channel"
    INCOMPATIBLE_UNIT = "incompatible_unit"
    FUTURE_TIMESTAMP = "future_timestamp"
    STORAGE_REJECTED = "storage_rejected"
    INGEST_ERROR = "ingest_error"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    gateway_key: str | None
    reason: DeadLetterReason
    detail: str
    payload: bytes

    @property
    def reason_text(self) -> str:
        """What lands in ``dead_letter.reason``: the machine code, then the human detail."""
        return f"{self.reason.value}: {self.detail}"


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
    message: WireBatch | GatewayState | Heartbeat | None
    error: str | None


def decode_inbound(topic: str, payload: bytes) -> Inbound:
    """Parse the topic and validate the payload against the contract; never raises."""
    parsed = parse_topic(topic)
    if parsed is None:
        return Inbound(topic, payload, None, None, None, "topic is not a labshare/v1 topic")
    try:
        message: WireBatch | GatewayState | Heartbeat
        if parsed.kind is TopicKind.TELEMETRY:
            message = decode_telemetry(payload)
        elif parsed.kind is TopicKind.STATE:
            message = GatewayState.model_validate_json(payload)
        elif parsed.kind is TopicKind.HEARTBEAT:
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
    return Inbound(topic, payload, parsed.kind, parsed.gateway, message, None)


def _summarise(exc: ValidationError, limit: int = 5) -> str:
    errors = exc.errors(include_url=False)
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in errors[:limit]
    ]
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts) + more


def _envelope_dead_letter(msg: Inbound, directory: ChannelDirectory) -> DeadLetter | None:
    """The reason a whole message is refused, or ``None`` if its series may be looked at."""
    if msg.message is None:
        return DeadLetter(
            msg.topic, msg.topic_gateway, DeadLetterReason.INVALID_PAYLOAD,
            msg.error or "invalid payload", msg.payload,
        )  # fmt: skip
    if msg.message.gateway != msg.topic_gateway:
        return DeadLetter(
            msg.topic, msg.topic_gateway, DeadLetterReason.GATEWAY_MISMATCH,
            f"payload names gateway {msg.message.gateway!r} but was published on the topic of "
            f"gateway {msg.topic_gateway!r}",
            msg.payload,
        )  # fmt: skip
    if directory.gateway(msg.message.gateway) is None:
        return DeadLetter(
            msg.topic, msg.topic_gateway, DeadLetterReason.UNKNOWN_GATEWAY,
            f"gateway {msg.message.gateway!r} is not registered", msg.payload,
        )  # fmt: skip
    return None


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
    for series in batch.series:
        name = f"series {series.device}/{series.point}"
        # Every decoded sample was received, so its number counts against gap detection
        # even when its series is refused.
        plan.seqs.extend(series.seqs)
        reason: DeadLetterReason | None = None
        detail = ""
        channel = directory.channel(batch.gateway, series.device, series.point)
        if channel is None:
            reason = DeadLetterReason.UNKNOWN_CHANNEL
            detail = (
                f"{name}: gateway {batch.gateway!r} has no channel for device "
                f"{series.device!r} point {series.point!r}"
            )
        else:
            try:
                conversion = converter.conversion(series.unit, channel.canonical_unit)
            except IncompatibleUnitError as exc:
                reason = DeadLetterReason.INCOMPATIBLE_UNIT
                detail = f"{name}: {exc}"
            else:
                latest = max(series.ts_ms)
                if latest > horizon:
                    reason = DeadLetterReason.FUTURE_TIMESTAMP
                    ahead_s = (latest - horizon + FUTURE_TOLERANCE_MS) / 1000
                    detail = (
                        f"{name}: sample timestamp {latest} ms is {ahead_s:.0f} s ahead of "
                        f"the server clock (tolerance {FUTURE_TOLERANCE_MS // 1000} s)"
                    )
        if reason is not None:
            plan.dead_letters.append(
                DeadLetter(msg.topic, msg.topic_gateway, reason, detail, msg.payload)
            )
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
