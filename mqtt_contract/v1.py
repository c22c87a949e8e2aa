"""Version 1 of the gateway <-> server MQTT contract.

Topics (``{gw}`` is the gateway's key, also its MQTT username)::

    labshare/v1/gw/{gw}/telemetry    gateway -> server  QoS 1           TelemetryBatch
    labshare/v1/gw/{gw}/state        gateway -> server  QoS 1 retained  GatewayState (birth; death is the last will)
    labshare/v1/gw/{gw}/heartbeat    gateway -> server  QoS 0           Heartbeat
    labshare/v1/gw/{gw}/config       server -> gateway  QoS 1 retained  gateway YAML/JSON configuration document
    labshare/v1/gw/{gw}/calibration  server -> gateway  QoS 1 retained  CalibrationSet

Telemetry is grouped by series (one device point) so the unit and the calibration id are sent
once per series, not once per sample. Every sample carries the gateway's sequence number: a
strictly increasing integer per gateway, assigned when the sample enters the gateway's spool.
The server deduplicates redelivered samples by (channel, timestamp) and sees gaps in the
sequence. Timestamps are integer milliseconds since the Unix epoch (UTC), taken at the read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONTRACT_VERSION = 1
TOPIC_ROOT = "labshare/v1"
SHARED_GROUP = "ingest"

# Keys appear in topics: keep them to characters that are safe there and in URLs.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Key = Annotated[str, Field(pattern=KEY_PATTERN)]


class TopicKind(StrEnum):
    TELEMETRY = "telemetry"
    STATE = "state"
    HEARTBEAT = "heartbeat"
    CONFIG = "config"
    CALIBRATION = "calibration"


@dataclass(frozen=True, slots=True)
class Topic:
    gateway: str
    kind: TopicKind


def topic_for(gateway: str, kind: TopicKind) -> str:
    """The topic a gateway uses for one kind of message."""
    return f"{TOPIC_ROOT}/gw/{gateway}/{kind.value}"


def parse_topic(topic: str) -> Topic | None:
    """Split a contract topic into gateway and kind; ``None`` for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != TOPIC_ROOT or parts[2] != "gw":
        return None
    try:
        kind = TopicKind(parts[4])
    except ValueError:
        return None
    return Topic(gateway=parts[3], kind=kind)


def subscription(kind: TopicKind) -> str:
    """Wildcard subscription over every gateway for one kind."""
    return f"{TOPIC_ROOT}/gw/+/{kind.value}"


def shared_subscription(kind: TopicKind, group: str = SHARED_GROUP) -> str:
    """MQTT 5 shared subscription, so several ingest workers split the load."""
    return f"$share/{group}/{subscription(kind)}"


class Quality(StrEnum):
    OK = "ok"
    STALE = "stale"
    COMM_FAIL = "comm_fail"
    OUT_OF_RANGE = "out_of_range"
    BAD_UNIT = "bad_unit"


QUALITY_CODES: dict[Quality, int] = {q: i for i, q in enumerate(Quality)}
"""Compact integer codes used when quality is stored (``smallint`` in the database)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sample(_Model):
    """One reading: ``[seq, ts_ms, value, quality, latency_ms]`` on the wire."""

    seq: int = Field(ge=0)
    ts_ms: int = Field(ge=0)
    value: float | None
    quality: Quality = Quality.OK
    latency_ms: float | None = Field(default=None, ge=0)

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("value must be a finite number")
        return value

    def to_wire(self) -> list[Any]:
        return [self.seq, self.ts_ms, self.value, self.quality.value, self.latency_ms]

    @classmethod
    def from_wire(cls, row: Any) -> Sample:
        if not isinstance(row, list | tuple) or not 4 <= len(row) <= 5:
            raise ValueError("a sample is [seq, ts_ms, value, quality, latency_ms?]")
        latency = row[4] if len(row) == 5 else None
        return cls(seq=row[0], ts_ms=row[1], value=row[2], quality=row[3], latency_ms=latency)


class Series(_Model):
    """Samples of one device point, already converted to ``unit`` (a pint string)."""

    device: Key
    point: Key
    unit: str = Field(min_length=1, max_length=64)
    correction_id: str | None = Field(default=None, max_length=64)
    samples: list[Sample] = Field(min_length=1)


class TelemetryBatch(_Model):
    v: Literal[1] = 1
    gateway: Key
    sent_at_ms: int = Field(ge=0)
    series: list[Series] = Field(min_length=1)

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "gateway": self.gateway,
            "sent_at_ms": self.sent_at_ms,
            "series": [
                {
                    "device": s.device,
                    "point": s.point,
                    "unit": s.unit,
                    "correction_id": s.correction_id,
                    "samples": [x.to_wire() for x in s.samples],
                }
                for s in self.series
            ],
        }


def decode_batch(payload: bytes) -> TelemetryBatch:
    """Parse and validate a telemetry payload; raises ``ValueError`` with the reason."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"payload is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError("payload must be a JSON object")
    series = doc.get("series")
    if isinstance(series, list):
        doc = {
            **doc,
            "series": [
                {**s, "samples": [Sample.from_wire(r) for r in s.get("samples", [])]}
                if isinstance(s, dict) and isinstance(s.get("samples"), list)
                else s
                for s in series
            ],
        }
    return TelemetryBatch.model_validate(doc)


class DeviceStatus(_Model):
    device: Key
    status: Literal["ok", "failing", "disabled"]
    last_ok_ms: int | None = None
    error: str | None = None


class GatewayState(_Model):
    """Birth (``online``) and death (``offline``, sent by the broker as the last will)."""

    v: Literal[1] = 1
    gateway: Key
    status: Literal["online", "offline"]
    ts_ms: int = Field(ge=0)
    config_hash: str | None = None
    agent_version: str | None = None
    devices: list[str] = Field(default_factory=list)


class Heartbeat(_Model):
    v: Literal[1] = 1
    gateway: Key
    ts_ms: int = Field(ge=0)
    spool_depth: int = Field(ge=0)
    spool_dropped_total: int = Field(ge=0)
    last_seq: int = Field(ge=0)
    devices: list[DeviceStatus] = Field(default_factory=list)


class CalibrationTablePoint(_Model):
    raw: float
    corrected: float


class Calibration(_Model):
    """A correction for one device point, from the instrument's valid certificate.

    ``offset_gain``: ``corrected = raw * gain + offset``. ``table``: piecewise-linear
    interpolation between points (sorted by ``raw``), extrapolating from the end segments.
    Applied only while ``valid_from_ms <= ts < valid_to_ms``.
    """

    id: str = Field(min_length=1, max_length=64)
    device: Key
    point: Key
    kind: Literal["offset_gain", "table"]
    offset: float = 0.0
    gain: float = 1.0
    table: list[CalibrationTablePoint] = Field(default_factory=list)
    valid_from_ms: int
    valid_to_ms: int


class CalibrationSet(_Model):
    v: Literal[1] = 1
    gateway: Key
    issued_at_ms: int
    corrections: list[Calibration] = Field(default_factory=list)


def encode(message: BaseModel) -> bytes:
    """Serialise a contract message to its wire form (compact JSON)."""
    doc = (
        message.to_wire()
        if isinstance(message, TelemetryBatch)
        else message.model_dump(mode="json")
    )
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
