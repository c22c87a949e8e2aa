"""Response and request bodies of the telemetry query, state and live endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from mqtt_contract.v1 import Quality
from server.calibration.status import CalibrationState
from server.telemetry.states import InstrumentState

__all__ = [
    "RETENTION_CLASS_NAME",
    "AlarmAcknowledgeIn",
    "BoardAcknowledgement",
    "BoardAlarm",
    "BoardAlarmKind",
    "BoardGateway",
    "BoardIndexEntry",
    "BoardInstrument",
    "BoardLabRef",
    "BoardOutOfService",
    "BoardReading",
    "BoardUsability",
    "ChannelRetentionIn",
    "ChannelRetentionOut",
    "InstitutionBoard",
    "LabBoard",
    "LatestReading",
    "RetentionClassIn",
    "RetentionClassOut",
    "SeriesOut",
    "StateIntervalOut",
    "ValueLabel",
    "ValueMapEntry",
    "ValueMapIn",
    "ValueMapOut",
]


class SeriesOut(BaseModel):
    """Columnar buckets: ``t[i]`` (ms since epoch, UTC) has ``min[i]``, ``max[i]``, ..."""

    channel_id: int
    unit: str
    start: datetime
    end: datetime
    bucket_seconds: float
    source: str = Field(description="raw, or rollup when the one-minute rollup was read")
    t: list[int]
    min: list[float | None]
    max: list[float | None]
    mean: list[float | None]
    count: list[int]
    first: list[float | None] | None = Field(
        default=None,
        description="with ``width``: each pixel column's first value (M4: first, min, max, last)",
    )
    last: list[float | None] | None = Field(
        default=None, description="with ``width``: each pixel column's last value"
    )


class StateIntervalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    state: InstrumentState
    start_at: datetime
    end_at: datetime | None


class ValueLabel(BaseModel):
    """What one value of a status register means: words from the channel's value map, or
    else the state the instrument's state rule gives it."""

    value: int
    name: str | None = None
    name_en: str | None = None
    state: InstrumentState | None = None


_LABEL = r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"


class ValueMapEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: int = Field(ge=-(2**31), le=2**31 - 1)
    name: str = Field(min_length=1, max_length=60, pattern=_LABEL)
    name_en: str | None = Field(default=None, min_length=1, max_length=60, pattern=_LABEL)


class ValueMapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[ValueMapEntry] = Field(
        max_length=256, description="what each value means; an empty list removes the map"
    )


class ValueMapOut(BaseModel):
    channel_id: int
    labels: list[ValueMapEntry]


class BoardReading(BaseModel):
    channel_id: int
    point_key: str
    name: str
    name_en: str | None
    unit: str
    value: float | None
    ts: datetime | None
    quality: Quality | None = Field(
        description="the newest sample's quality (null when the channel has none)"
    )
    normal_min: float | None
    normal_max: float | None
    alarm: bool = Field(description="value outside the channel's normal range")
    value_labels: list[ValueLabel] | None = Field(
        description="a status register: what each value means; null for a measured quantity",
    )


class BoardOutOfService(BaseModel):
    since: datetime
    cause: str = Field(description="calibration_failed, check_failed, fault or manual")
    reason: str


class BoardUsability(BaseModel):
    """Whether the instrument may be used now, from the calibration programme's records."""

    out_of_service: BoardOutOfService | None
    calibration: CalibrationState | None
    calibration_valid_to: datetime | None
    never_calibrated: bool


class BoardAlarmKind(StrEnum):
    STATE_FAULT = "state_fault"
    LOOP_FAULT = "loop_fault"
    OUT_OF_RANGE = "out_of_range"
    GATEWAY_OFFLINE = "gateway_offline"
    SPC = "spc"


class BoardAcknowledgement(BaseModel):
    at: datetime
    by: str = Field(description="the full name of who acknowledged")
    note: str


class BoardAlarm(BaseModel):
    kind: BoardAlarmKind
    subject: str = Field(
        description="what raised it: a channel id, a gateway key, an SPC alarm id, or empty"
    )
    instrument_id: uuid.UUID | None
    since: datetime | None = Field(description="when the condition began, as far as is known")
    channel_id: int | None = None
    gateway_key: str | None = None
    quality: Quality | None = None
    value: float | None = None
    spc_alarm_id: int | None = None
    spc_kind: str | None = Field(default=None, description="rule, out_of_spec or spread")
    spc_rule: int | None = None
    characteristic: str | None = Field(default=None, description="the SPC characteristic's name")
    acknowledged: BoardAcknowledgement | None = None


class BoardInstrument(BaseModel):
    id: uuid.UUID
    name: str
    name_en: str | None
    state: InstrumentState | None
    state_since: datetime | None
    gateway_ids: list[uuid.UUID]
    readings: list[BoardReading]
    usability: BoardUsability | None
    alarms: list[BoardAlarm]


class BoardGateway(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    status: str
    last_seen_at: datetime | None
    heartbeat_at: datetime | None
    heartbeat_missing: bool = Field(description="heard from before, but no heartbeat for too long")


class LabBoard(BaseModel):
    lab_id: uuid.UUID
    name: str
    name_en: str | None
    instruments: list[BoardInstrument]
    gateways: list[BoardGateway]
    alarms: list[BoardAlarm] = Field(
        description="every alarm of the board: its instruments' and the institution's stations'",
    )


class InstitutionBoard(BaseModel):
    organisation_id: uuid.UUID
    name: str
    name_en: str | None
    labs: list[LabBoard]
    alarms: list[BoardAlarm]


class BoardLabRef(BaseModel):
    id: uuid.UUID
    name: str
    name_en: str | None


class BoardIndexEntry(BaseModel):
    organisation_id: uuid.UUID
    name: str
    name_en: str | None
    labs: list[BoardLabRef]


class AlarmAcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: BoardAlarmKind
    subject: str = Field(max_length=200)
    since: datetime
    note: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")


RETENTION_CLASS_NAME = r"^[a-z][a-z0-9_-]{0,39}$"
# A hundred years: beyond that a number of days is a typo.
_MAX_DAYS = 36_500


class RetentionClassIn(BaseModel):
    raw_days: int = Field(ge=1, le=_MAX_DAYS, description="days of raw samples kept")
    rollup_days: int = Field(
        ge=1, le=_MAX_DAYS, description="days of one-minute rollups kept (at least raw_days)"
    )


class RetentionClassOut(BaseModel):
    name: str
    raw_days: int
    rollup_days: int
    channels: int = Field(description="channels in this class (the default class included)")


class ChannelRetentionIn(BaseModel):
    class_name: str = Field(pattern=RETENTION_CLASS_NAME)


class ChannelRetentionOut(BaseModel):
    channel_id: int
    class_name: str
    raw_days: int
    rollup_days: int
    is_default: bool = Field(description="no class chosen: the default class applies")


class LatestReading(BaseModel):
    channel_id: int
    device_key: str
    point_key: str
    name: str
    name_en: str | None
    unit: str
    value: float | None
    ts: datetime | None
    quality: Quality | None
