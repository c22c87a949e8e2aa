"""Response and request bodies of the telemetry query, state and live endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from server.telemetry.states import InstrumentState

__all__ = [
    "BoardGateway",
    "BoardInstrument",
    "BoardReading",
    "LabBoard",
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
