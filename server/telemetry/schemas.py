"""Response and request bodies of the telemetry query, state and live endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from mqtt_contract.v1 import Quality
from server.telemetry.states import InstrumentState

__all__ = [
    "RETENTION_CLASS_NAME",
    "BoardGateway",
    "BoardInstrument",
    "BoardReading",
    "ChannelRetentionIn",
    "ChannelRetentionOut",
    "LabBoard",
    "LatestReading",
    "RetentionClassIn",
    "RetentionClassOut",
    "SeriesOut",
    "StateIntervalOut",
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


class StateIntervalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    state: InstrumentState
    start_at: datetime
    end_at: datetime | None


class BoardReading(BaseModel):
    channel_id: int
    point_key: str
    name: str
    name_en: str | None
    unit: str
    value: float | None
    ts: datetime | None
    normal_min: float | None
    normal_max: float | None
    alarm: bool = Field(description="value outside the channel's normal range")


class BoardInstrument(BaseModel):
    id: uuid.UUID
    name: str
    name_en: str | None
    state: InstrumentState | None
    state_since: datetime | None
    gateway_ids: list[uuid.UUID]
    readings: list[BoardReading]


class BoardGateway(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    status: str
    last_seen_at: datetime | None


class LabBoard(BaseModel):
    lab_id: uuid.UUID
    name: str
    name_en: str | None
    instruments: list[BoardInstrument]
    gateways: list[BoardGateway]


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
