"""A reading as the bridge hands it on, and the sink interface that receives it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from mqtt_contract.v1 import Quality

__all__ = ["Reading", "ReadingSink", "now_ms"]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Reading:
    """One polled value; ``value`` is ``None`` whenever ``quality`` is not OK."""

    instrument: str
    point: str
    value: float | None
    unit: str
    stable: bool
    quality: Quality
    ts_ms: int
    detail: str | None = None


class ReadingSink(Protocol):
    def accept(self, reading: Reading) -> None:
        """Take a reading; must not block (sinks hand slow work to their own I/O)."""
        ...
