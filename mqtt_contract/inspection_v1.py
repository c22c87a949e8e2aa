"""Version 1 of the inspection-result message (gateway -> server).

Topic ``labshare/v1/gw/{gw}/inspection`` (:attr:`mqtt_contract.v1.TopicKind.INSPECTION`),
QoS 1. An inspection station (an in-line gauge, a test bench, a CMM, a QC balance) sends
measured characteristics of parts::

    {"v": 1, "gateway": "gw-1", "sent_at_ms": 1764680000000, "station": "gauge-3",
     "results": [
       {"seq": 17, "ts_ms": 1764679999000, "product": "shaft-40", "characteristic": "diameter",
        "part": "S-000123", "subgroup": "L-0042", "value": 25.0012, "unit": "mm",
        "operator": "op-7"}
     ]}

Each result carries the gateway's inspection sequence number: strictly increasing within a
batch, never reused by that gateway. The server stores a result at most once per
``(gateway, seq)``, so a redelivered message changes nothing; SPC rules see every result once.
The inspection sequence is its own counter, separate from the telemetry sequence.

Types are strict, as for telemetry: ``seq``, ``ts_ms``, ``sent_at_ms`` and ``v`` are JSON
integers (not ``5.0``, not ``"5"``, not ``true``), ``value`` is a finite JSON number (not a
string, not a boolean). ``subgroup`` is ``null`` for individual measurements (I-MR charts).
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mqtt_contract.v1 import (
    MAX_PAYLOAD_BYTES,
    Count,
    Key,
    Number,
    Version,
    load_object,
)

__all__ = ["MAX_RESULTS", "InspectionBatch", "InspectionResult", "decode_inspection"]

MAX_RESULTS = 5000
"""Most results in one message."""

Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]*$")]
"""Free text without control characters (part numbers, subgroup and operator ids)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InspectionResult(_Model):
    seq: Count
    ts_ms: Count
    product: Key
    characteristic: Key
    value: Number
    unit: str = Field(min_length=1, max_length=64)
    part: Label | None = None
    subgroup: Label | None = None
    operator: Label | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("value must be a finite number")
        return value


class InspectionBatch(_Model):
    v: Version = 1
    gateway: Key
    sent_at_ms: Count
    station: Key
    results: list[InspectionResult] = Field(min_length=1, max_length=MAX_RESULTS)

    @model_validator(mode="after")
    def _seq_increases(self) -> InspectionBatch:
        for before, after in itertools.pairwise(r.seq for r in self.results):
            if after <= before:
                raise ValueError(
                    f"sequence numbers must increase within a batch: {after} follows {before}"
                )
        return self


def decode_inspection(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> InspectionBatch:
    """Parse and validate an inspection payload; raises ``ValueError`` with the reason."""
    doc = load_object(payload, max_bytes)
    return InspectionBatch.model_validate(doc)
