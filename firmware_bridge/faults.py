"""Faults the simulators can be told to show, from the CLI or from a test."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Fault", "FaultPlan"]


class Fault(StrEnum):
    """One kind of misbehaviour an instrument or its link can show."""

    #: The instrument reports a fault state (chamber status 3).
    DEVICE_FAULT = "device-fault"
    #: The next request is answered by closing the connection.
    DROP = "drop"
    #: Replies arrive ``slow_reply_s`` late.
    SLOW = "slow"
    #: The next reply is line noise instead of a frame.
    GARBAGE = "garbage"
    #: The sensor is out of range (balance overload, multimeter overflow).
    OVERLOAD = "overload"


@dataclass
class FaultPlan:
    """Which faults are active; one-shot faults clear themselves once shown."""

    active: set[Fault] = field(default_factory=set)
    slow_reply_s: float = 2.0

    #: Faults that describe one event rather than a lasting condition.
    ONE_SHOT = frozenset({Fault.DROP, Fault.GARBAGE})

    def inject(self, fault: Fault) -> None:
        self.active.add(fault)

    def clear(self, fault: Fault | None = None) -> None:
        if fault is None:
            self.active.clear()
        else:
            self.active.discard(fault)

    def is_active(self, fault: Fault) -> bool:
        return fault in self.active

    def take(self, fault: Fault) -> bool:
        """True if ``fault`` is active; one-shot faults are consumed by this call."""
        if fault not in self.active:
            return False
        if fault in self.ONE_SHOT:
            self.active.discard(fault)
        return True
