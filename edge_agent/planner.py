"""Request planning: the fewest legal Modbus reads that cover a device's points.

Points of one register kind are merged while the unused registers between them stay within
``max_gap`` and the read stays within the protocol limit (125 registers / 2000 bits). A
device that answers "illegal data address" for a merged read usually has a hole in its map:
its points are then read one by one, and a point that fails alone is remembered as a hole
and no longer requested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from edge_agent.decoding import PointDecoder
from mqtt_contract.gateway_config import ModbusPoint, RegisterKind

__all__ = ["ReadBlock", "RequestPlanner", "plan_reads"]

BIT_KINDS: frozenset[str] = frozenset({"coil", "discrete_input"})


@dataclass(frozen=True)
class ReadBlock:
    kind: RegisterKind
    start: int
    count: int
    points: tuple[ModbusPoint, ...]
    decoders: tuple[PointDecoder, ...] = field(compare=False)

    @property
    def bits(self) -> bool:
        return self.kind in BIT_KINDS


def _block(kind: RegisterKind, points: Sequence[ModbusPoint]) -> ReadBlock:
    start = min(p.address for p in points)
    end = max(p.address + p.register_count for p in points)
    return ReadBlock(
        kind=kind,
        start=start,
        count=end - start,
        points=tuple(points),
        decoders=tuple(PointDecoder.for_point(p, start) for p in points),
    )


def plan_reads(
    points: Iterable[ModbusPoint],
    *,
    max_gap: int = 8,
    max_registers: int = 125,
    max_bits: int = 2000,
    single: frozenset[str] = frozenset(),
) -> list[ReadBlock]:
    """Merge points into reads; points whose key is in ``single`` get a read of their own."""
    by_kind: dict[RegisterKind, list[ModbusPoint]] = {}
    blocks: list[ReadBlock] = []
    for point in points:
        if point.key in single:
            blocks.append(_block(point.kind, [point]))
        else:
            by_kind.setdefault(point.kind, []).append(point)
    for kind, members in by_kind.items():
        limit = max_bits if kind in BIT_KINDS else max_registers
        members.sort(key=lambda p: (p.address, p.register_count))
        current: list[ModbusPoint] = []
        start = end = 0
        for point in members:
            point_end = point.address + point.register_count
            if current and point.address - end <= max_gap and max(end, point_end) - start <= limit:
                current.append(point)
                end = max(end, point_end)
                continue
            if current:
                blocks.append(_block(kind, current))
            current, start, end = [point], point.address, point_end
        if current:
            blocks.append(_block(kind, current))
    blocks.sort(key=lambda b: (b.kind, b.start))
    return blocks


class RequestPlanner:
    """The read plan of one device, adapting to holes the device reports."""

    def __init__(
        self,
        points: Sequence[ModbusPoint],
        *,
        max_gap: int = 8,
        max_registers: int = 125,
        max_bits: int = 2000,
    ) -> None:
        self._points = list(points)
        self._max_gap = max_gap
        self._max_registers = max_registers
        self._max_bits = max_bits
        self._single: set[str] = set()
        self.holes: set[str] = set()
        self.blocks = self._plan()

    def _plan(self) -> list[ReadBlock]:
        return plan_reads(
            (p for p in self._points if p.key not in self.holes),
            max_gap=self._max_gap,
            max_registers=self._max_registers,
            max_bits=self._max_bits,
            single=frozenset(self._single),
        )

    def illegal_address(self, block: ReadBlock) -> list[str]:
        """Record a refused read; returns the point keys that turned out to be holes."""
        if len(block.points) > 1:
            self._single.update(p.key for p in block.points)
            self.blocks = self._plan()
            return []
        key = block.points[0].key
        self.holes.add(key)
        self.blocks = self._plan()
        return [key]
