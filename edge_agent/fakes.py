"""In-memory stand-ins for the hardware seams, for tests and benchmarks.

``FakeModbusDevice`` answers reads from a register map (holes raise ``IllegalAddress``) and
can be switched dead; ``FakePublisher`` records messages and acknowledges them on demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from edge_agent.clock import FakeClock
from edge_agent.poller import Reading
from edge_agent.transport import CommError, IllegalAddress
from mqtt_contract.gateway_config import RegisterKind

__all__ = ["FakeModbusDevice", "FakePublisher", "PublishedMessage", "RecordingSink"]


class FakeModbusDevice:
    """A ModbusTransport over dictionaries of registers and bits."""

    def __init__(
        self,
        registers: dict[RegisterKind, dict[int, int | bool]] | None = None,
        *,
        clock: FakeClock | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.registers: dict[RegisterKind, dict[int, int | bool]] = registers or {}
        self.clock = clock
        self.latency_s = latency_s
        self.dead = False
        self.requests: list[tuple[RegisterKind, int, int]] = []

    async def read(
        self, kind: RegisterKind, address: int, count: int, device_id: int
    ) -> list[int] | list[bool]:
        self.requests.append((kind, address, count))
        if self.clock is not None:
            self.clock.advance(self.latency_s)
        if self.dead:
            raise CommError("no response: timeout")
        table = self.registers.get(kind, {})
        addresses = range(address, address + count)
        if any(a not in table for a in addresses):
            raise IllegalAddress(f"illegal data address {kind} {address}+{count}")
        if kind in ("coil", "discrete_input"):
            return [bool(table[a]) for a in addresses]
        return [int(table[a]) for a in addresses]

    async def close(self) -> None:
        return None


class RecordingSink:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def submit(self, readings: Sequence[Reading]) -> None:
        self.readings.extend(readings)


@dataclass
class PublishedMessage:
    mid: int
    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass
class FakePublisher:
    """Records publishes; ``connected`` and acknowledgements are driven by the test."""

    connected: bool = True
    refuse: bool = False
    messages: list[PublishedMessage] = field(default_factory=list)
    _next_mid: int = 1

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool = False) -> int | None:
        if self.refuse:
            return None
        mid = self._next_mid
        self._next_mid += 1
        self.messages.append(PublishedMessage(mid, topic, payload, qos, retain))
        return mid
