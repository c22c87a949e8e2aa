"""Version 1 of the gateway <-> server MQTT contract.

Topics (``{gw}`` is the gateway's key, also its MQTT username)::

    labshare/v1/gw/{gw}/telemetry    gateway -> server  QoS 1           TelemetryBatch
    labshare/v1/gw/{gw}/state        gateway -> server  QoS 1 retained  GatewayState (birth; death is the last will)
    labshare/v1/gw/{gw}/heartbeat    gateway -> server  QoS 0           Heartbeat
    labshare/v1/gw/{gw}/config       server -> gateway  QoS 1 retained  gateway YAML/JSON configuration document
    labshare/v1/gw/{gw}/calibration  server -> gateway  QoS 1 retained  CalibrationSet
    labshare/v1/gw/{gw}/inspection   gateway -> server  QoS 1           InspectionBatch (inspection_v1)
    labshare/v1/gw/{gw}/program      gateway -> server  QoS 1           ProgramRun (program_v1)

Telemetry is grouped by series (one device point) so the unit and the calibration id are sent
once per series, not once per sample. Every sample carries the gateway's sequence number: a
strictly increasing integer per gateway, assigned when the sample enters the gateway's spool.
The server deduplicates redelivered samples by (channel, timestamp) and sees gaps in the
sequence. Timestamps are integer milliseconds since the Unix epoch (UTC), taken at the read.

Gateway -> server messages are checked with strict JSON types: a number is a JSON number (not
a string, not ``true``), and integer fields (``seq``, ``ts_ms``, counters, ``v``) are JSON
integers (not ``5.0``, not ``"5"``, not ``true``). Inside a telemetry batch the sequence numbers
of a series strictly increase and no number appears twice. Payloads are at most
:data:`MAX_PAYLOAD_BYTES` long and nested at most :data:`MAX_DEPTH` levels deep.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

CONTRACT_VERSION = 1
TOPIC_ROOT = "labshare/v1"
SHARED_GROUP = "ingest"

# Keys appear in topics: keep them to characters that are safe there and in URLs.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Key = Annotated[str, Field(pattern=KEY_PATTERN)]

MAX_PAYLOAD_BYTES = 256 * 1024
"""Largest payload a gateway may publish (the broker's ``message_size_limit`` matches it)."""

MAX_DEPTH = 5
"""Deepest nesting of arrays and objects in any gateway message.

A telemetry batch is the deepest: batch object > ``series`` array > series object >
``samples`` array > sample array. Anything deeper is refused before it is parsed.
"""

Count = Annotated[int, Strict(), Field(ge=0)]
"""A JSON integer >= 0: not a float (``5.0``), not a string (``"5"``), not a boolean."""
Number = Annotated[float, Strict()]
"""A JSON number (integer or fraction): not a string (``"12.5"``), not a boolean."""


def _json_integer(value: Any) -> Any:
    if type(value) is not int:
        raise ValueError("must be a JSON integer")
    return value


Version = Annotated[Literal[1], BeforeValidator(_json_integer)]

# Strings (with their escapes) hold no structure: removed before brackets are counted.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def check_payload(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> None:
    """Refuse a payload too long or nested deeper than :data:`MAX_DEPTH`, without parsing it.

    Counting works on the brackets outside strings: each pass of a regular expression
    removes the innermost empty pairs, so a document of depth ``n`` is gone after ``n``
    passes. What is left after :data:`MAX_DEPTH` passes is too deep (or unbalanced, which a
    parser would refuse anyway, possibly only after recursing through it). No recursion and
    no Python loop per byte: a few passes of C code over the payload.
    """
    if len(payload) > max_bytes:
        raise ValueError(f"payload of {len(payload)} bytes is larger than {max_bytes} bytes")
    brackets = _JSON_STRING.sub(b"", payload).translate(None, _NOT_BRACKETS)
    for _ in range(MAX_DEPTH):
        if not brackets:
            return
        brackets = _INNERMOST.sub(b"", brackets)
    if brackets:
        raise ValueError(
            f"payload is nested deeper than {MAX_DEPTH} levels of arrays and objects "
            "(or its brackets do not balance)"
        )


class TopicKind(StrEnum):
    TELEMETRY = "telemetry"
    STATE = "state"
    HEARTBEAT = "heartbeat"
    CONFIG = "config"
    CALIBRATION = "calibration"
    INSPECTION = "inspection"  # gateway -> server, QoS 1: mqtt_contract.inspection_v1
    PROGRAM = "program"  # gateway -> server, QoS 1: mqtt_contract.program_v1


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
    # A 4-20 mA loop at or below 3.6 mA / at or above 21 mA (NAMUR NE 43): a sensor or
    # wiring fault, sent with no value. New members go last: their position is the stored code.
    LOOP_LOW_FAULT = "loop_low_fault"
    LOOP_HIGH_FAULT = "loop_high_fault"


QUALITY_CODES: dict[Quality, int] = {q: i for i, q in enumerate(Quality)}
"""Compact integer codes used when quality is stored (``smallint`` in the database)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sample(_Model):
    """One reading: ``[seq, ts_ms, value, quality, latency_ms]`` on the wire."""

    seq: Count
    ts_ms: Count
    value: Number | None
    quality: Quality = Quality.OK
    latency_ms: Annotated[Number, Field(ge=0)] | None = None

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

    @model_validator(mode="after")
    def _seq_increases(self) -> Series:
        seqs = [s.seq for s in self.samples]
        for before, after in itertools.pairwise(seqs):
            if after <= before:
                raise ValueError(
                    f"sequence numbers must increase within a series: {after} follows {before}"
                )
        return self


class TelemetryBatch(_Model):
    v: Version = 1
    gateway: Key
    sent_at_ms: Count
    series: list[Series] = Field(min_length=1)

    @model_validator(mode="after")
    def _seq_unique(self) -> TelemetryBatch:
        count = sum(len(s.samples) for s in self.series)
        unique = {x.seq for s in self.series for x in s.samples}
        if len(unique) != count:
            raise ValueError("a sequence number appears twice in the batch")
        return self

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


def load_object(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> dict[str, Any]:
    """A payload's JSON object, after :func:`check_payload`; ``ValueError`` with the reason."""
    check_payload(payload, max_bytes)
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"payload is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError("payload must be a JSON object")
    return doc


def decode_batch(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> TelemetryBatch:
    """Parse and validate a telemetry payload; raises ``ValueError`` with the reason."""
    doc = load_object(payload, max_bytes)
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
    last_ok_ms: Count | None = None
    error: str | None = None


class GatewayState(_Model):
    """Birth (``online``) and death (``offline``, sent by the broker as the last will)."""

    v: Version = 1
    gateway: Key
    status: Literal["online", "offline"]
    ts_ms: Count
    config_hash: str | None = None
    agent_version: str | None = None
    devices: list[str] = Field(default_factory=list)


class Heartbeat(_Model):
    v: Version = 1
    gateway: Key
    ts_ms: Count
    spool_depth: Count
    spool_dropped_total: Count
    last_seq: Count
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
