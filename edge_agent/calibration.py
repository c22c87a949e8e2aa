"""Calibration corrections from the instrument's valid certificates (CalibrationSet)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from mqtt_contract.v1 import Calibration, CalibrationSet

__all__ = ["CalibrationBook", "Correction"]


@dataclass(frozen=True, slots=True)
class Correction:
    """One correction prepared for fast application."""

    id: str
    valid_from_ms: int
    valid_to_ms: int
    gain: float
    offset: float
    raws: tuple[float, ...]
    corrected: tuple[float, ...]

    @classmethod
    def from_contract(cls, calibration: Calibration) -> Correction:
        table = sorted(calibration.table, key=lambda p: p.raw)
        return cls(
            id=calibration.id,
            valid_from_ms=calibration.valid_from_ms,
            valid_to_ms=calibration.valid_to_ms,
            gain=calibration.gain,
            offset=calibration.offset,
            raws=tuple(p.raw for p in table) if calibration.kind == "table" else (),
            corrected=tuple(p.corrected for p in table) if calibration.kind == "table" else (),
        )

    def valid_at(self, ts_ms: int) -> bool:
        return self.valid_from_ms <= ts_ms < self.valid_to_ms

    def apply(self, value: float) -> float:
        if not self.raws:
            return value * self.gain + self.offset
        if len(self.raws) == 1:
            return value + (self.corrected[0] - self.raws[0])
        # Interpolate within the table, extrapolate along the first or last segment.
        i = min(max(bisect_right(self.raws, value) - 1, 0), len(self.raws) - 2)
        x0, x1 = self.raws[i], self.raws[i + 1]
        y0, y1 = self.corrected[i], self.corrected[i + 1]
        if x1 == x0:
            return y0
        return y0 + (value - x0) * (y1 - y0) / (x1 - x0)


class CalibrationBook:
    """Corrections by (device, point); replaced whole when a new set arrives."""

    def __init__(self) -> None:
        self._by_point: dict[tuple[str, str], list[Correction]] = {}
        self.issued_at_ms: int | None = None

    def replace(self, calibration_set: CalibrationSet) -> None:
        self.load(calibration_set.corrections)
        self.issued_at_ms = calibration_set.issued_at_ms

    def load(self, corrections: Iterable[Calibration]) -> None:
        by_point: dict[tuple[str, str], list[Correction]] = {}
        for calibration in corrections:
            by_point.setdefault((calibration.device, calibration.point), []).append(
                Correction.from_contract(calibration)
            )
        for items in by_point.values():
            items.sort(key=lambda c: c.valid_from_ms, reverse=True)
        self._by_point = by_point

    def correct(
        self, device: str, point: str, ts_ms: int, value: float | None
    ) -> tuple[float | None, str | None]:
        """The corrected value and the id of the correction applied (if any)."""
        for correction in self._by_point.get((device, point), ()):
            if correction.valid_at(ts_ms):
                if value is None:
                    return None, correction.id
                return correction.apply(value), correction.id
        return value, None

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_point.values())
