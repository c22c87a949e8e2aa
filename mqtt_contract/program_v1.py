"""Version 1 of the program-run message (gateway -> server).

Topic ``labshare/v1/gw/{gw}/program`` (:attr:`mqtt_contract.v1.TopicKind.PROGRAM`), QoS 1.
When a program run on an instrument ends (a LADS functional unit's program, for example), the
gateway sends what identifies the run and what it produced, text included::

    {"v": 1, "gateway": "gw-1", "sent_at_ms": 1764680000000, "device": "incubator",
     "unit": "incubator", "run_id": "run-0001", "program": "incubate-37",
     "result_id": "run-0001", "outcome": "completed",
     "started_ms": 1764679990000, "ended_ms": 1764679999000,
     "results": [
       {"key": "mean_temperature", "name": "MeanTemperature", "value": 36.8, "unit": "degC"},
       {"key": "operator_note", "name": "Note", "text": "lid opened once"}
     ]}

``unit`` is the key of the functional unit the run belongs to (the prefix of its points).
A result value carries a number (``value``, in ``unit``), a text (``text``), or neither when
the server could not give it. The server stores a run once per
``(gateway, device, unit, run_id)``: a redelivered message changes nothing.

Types are strict, as for telemetry: ``v``, ``sent_at_ms``, ``started_ms`` and ``ended_ms``
are JSON integers, ``value`` is a finite JSON number (not a string, not a boolean).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mqtt_contract.v1 import MAX_PAYLOAD_BYTES, Count, Key, Number, Version, load_object

__all__ = ["MAX_RESULT_VALUES", "ProgramRun", "ResultValue", "decode_program_run"]

MAX_RESULT_VALUES = 200
"""Most result values in one run."""

Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]*$")]
"""A run, program or result identifier: free text without control characters."""

Text = Annotated[str, Field(max_length=1000, pattern=r"^[^\x00-\x08\x0b-\x1f]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResultValue(_Model):
    key: Key
    name: Identifier
    value: Number | None = None
    text: Text | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("value must be a finite number")
        return value


class ProgramRun(_Model):
    v: Version = 1
    gateway: Key
    sent_at_ms: Count
    device: Key
    unit: Key
    run_id: Identifier
    program: Identifier | None = None
    result_id: Identifier | None = None
    outcome: Literal["completed", "aborted"]
    started_ms: Count | None = None
    ended_ms: Count
    results: list[ResultValue] = Field(default_factory=list, max_length=MAX_RESULT_VALUES)

    @model_validator(mode="after")
    def _ordered(self) -> ProgramRun:
        if self.started_ms is not None and self.started_ms > self.ended_ms:
            raise ValueError("started_ms is after ended_ms")
        keys = [r.key for r in self.results]
        if len(set(keys)) != len(keys):
            raise ValueError("a result key appears twice")
        return self


def decode_program_run(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> ProgramRun:
    """Parse and validate a program-run payload; raises ``ValueError`` with the reason."""
    doc = load_object(payload, max_bytes)
    return ProgramRun.model_validate(doc)
