"""Request and response bodies of the inspection API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.inspection.charts import ChartKind
from server.inspection.rules import ALL_RULES

KEY = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Text64 = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]*$")]
MAX_MAGNITUDE = 1e12
"""Largest magnitude of a measured value or limit: sums and squares stay finite."""
Measure = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Position = Annotated[int, Field(ge=0, le=2**31 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CharacteristicCreate(_In):
    product: Annotated[str, Field(pattern=KEY)]
    key: Annotated[str, Field(pattern=KEY)]
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
    unit: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
    nominal: Measure | None = None
    lsl: Measure | None = None
    usl: Measure | None = None
    subgroup_size: Annotated[int, Field(ge=1, le=25)] = 1
    chart: ChartKind = ChartKind.IMR
    rules: list[Annotated[int, Field(ge=1, le=8)]] = Field(
        default_factory=lambda: list(ALL_RULES), max_length=8
    )
    instrument_id: uuid.UUID | None = None
    responsible_user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    organisation_id: uuid.UUID | None = Field(
        default=None, description="Platform admins only: the institution it belongs to"
    )

    @model_validator(mode="after")
    def _consistent(self) -> CharacteristicCreate:
        if self.lsl is None and self.usl is None:
            raise ValueError("give at least one specification limit (lsl or usl)")
        if self.lsl is not None and self.usl is not None and self.lsl >= self.usl:
            raise ValueError("lsl must be below usl")
        if (self.chart is ChartKind.IMR) != (self.subgroup_size == 1):
            raise ValueError("an imr chart has subgroup_size 1; xbar_r and xbar_s 2 to 25")
        return self


class CharacteristicPublic(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    instrument_id: uuid.UUID | None
    product: str
    key: str
    name: str
    unit: str
    nominal: float | None
    lsl: float | None
    usl: float | None
    subgroup_size: int
    chart: ChartKind
    rules: list[int]
    responsible_user_ids: list[uuid.UUID]
    limits_version: int | None = None
    points: int = 0
    open_alarms: int = 0
    current_n: int = 0
    """Results the current capability is computed from: the latest, at most ``server.inspection.queries.CURRENT_RESULTS``."""
    current_cpk: float | None = None
    """Cpk of the latest results, with the within sigma of the limits version in force."""
    current_ppk: float | None = None
    """Ppk of the latest results (their sample standard deviation)."""


class ResultIn(_In):
    id: Text64 | None = Field(
        default=None,
        description="The station's own id of this result: posting it again stores nothing new",
    )
    ts: datetime
    value: Measure
    unit: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]*$")] | None = None
    part: Text64 | None = None
    subgroup: Text64 | None = None
    operator: Text64 | None = None

    @field_validator("ts")
    @classmethod
    def _in_utc(cls, ts: datetime) -> datetime:
        # ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59: store the instant in UTC.
        if ts.tzinfo is None:
            raise ValueError("give the time with its UTC offset (ISO 8601)")
        return ts.astimezone(UTC)


class ResultsIn(_In):
    station: Text64 | None = None
    results: list[ResultIn] = Field(min_length=1, max_length=5000)


class ResultsStored(BaseModel):
    stored: int
    duplicates: int = 0
    """Results whose ``id`` was stored already (or repeated in the request)."""
    points: int
    alarms_raised: list[int]


class ExclusionIn(_In):
    position: Position
    reason: Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]


class LimitsCreate(_In):
    baseline_first: Position
    baseline_last: Position
    exclusions: list[ExclusionIn] = Field(default_factory=list, max_length=10_000)
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = None


class LimitsPublic(BaseModel):
    version: int
    chart: ChartKind
    subgroup_size: int
    center: float
    ucl: float
    lcl: float
    spread_center: float
    spread_ucl: float
    spread_lcl: float
    sigma_within: float
    sigma_estimator: str
    points: int
    baseline_first: int
    baseline_last: int
    exclusions: list[ExclusionIn]
    note: str | None
    created_at: datetime


class ChartPoints(BaseModel):
    """Columns: the ``i``-th point is ``position[i], ts_ms[i], location[i], ...``."""

    position: list[int]
    ts_ms: list[int]
    """Time of the subgroup's last value, milliseconds since the Unix epoch (UTC)."""
    subgroup: list[str | None]
    n: list[int]
    location: list[float]
    spread: list[float | None]
    limits_version: list[int | None]
    z: list[float | None]
    rules: list[list[int]]
    out_of_spec: list[bool]
    spread_out: list[bool]
    """The spread (moving range, range or s) is beyond the spread chart's limits."""


class ChartOut(BaseModel):
    characteristic_id: uuid.UUID
    chart: ChartKind
    lsl: float | None
    usl: float | None
    limits: list[LimitsPublic]
    """Every limits version a returned point was judged against (and the current one)."""
    points: ChartPoints


class IntervalOut(BaseModel):
    low: float
    high: float


class CapabilityOut(BaseModel):
    characteristic_id: uuid.UUID
    period_from: datetime | None
    period_to: datetime | None
    n: int
    mean: float
    lsl: float | None
    usl: float | None
    sigma_within: float | None
    sigma_within_estimator: str | None
    sigma_overall: float
    sigma_overall_estimator: str = "sample standard deviation of all values (n - 1)"
    cp: float | None
    cpk: float | None
    pp: float | None
    ppk: float | None
    cp_ci: IntervalOut | None
    cpk_ci: IntervalOut | None
    pp_ci: IntervalOut | None
    ppk_ci: IntervalOut | None
    confidence: float
    anderson_darling: float | None
    normality_p: float | None
    normal: bool | None
    out_of_spec: int
    limits_version: int | None
    histogram_edges: list[float]
    histogram_counts: list[int]


class AlarmPublic(BaseModel):
    id: int
    characteristic_id: uuid.UUID
    kind: str
    rule: int | None
    positions: list[int]
    limits_version: int | None
    message: str
    occurrences: int
    last_position: int
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    cause: str | None
    action: str | None


class AlarmAcknowledge(_In):
    cause: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
    action: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
