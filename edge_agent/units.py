"""Unit handling: consulted once per point at configuration time, never per sample.

The registry is the one gateways and the server share (:mod:`mqtt_contract.units`), so a
unit the gateway accepts reads the same on the server: rpm is revolutions (cycles) per
minute, %RH is relative humidity, and printed forms such as ``℃`` or ``µS/cm`` are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mqtt_contract.units import (
    UnitProblem,
    affine_conversion,
    check_compatible,
)
from mqtt_contract.units import (
    parse_unit as _parse_shared,
)
from mqtt_contract.v1 import Quality

__all__ = [
    "LinearConversion",
    "LoopSignal",
    "UnitProblem",
    "check_compatible",
    "linear_conversion",
    "loop_signal",
    "parse_unit",
]


def parse_unit(text: str) -> Any:
    """The pint unit of ``text``; raises :class:`UnitProblem` ("unknown unit '...'")."""
    return _parse_shared(text)


@dataclass(frozen=True, slots=True)
class LinearConversion:
    """``value = gain * raw + bias``: register scaling and unit conversion folded together."""

    gain: float
    bias: float

    def __call__(self, raw: float) -> float:
        return self.gain * raw + self.bias

    def then(self, after: LinearConversion) -> LinearConversion:
        """This conversion followed by ``after``, folded into one."""
        return LinearConversion(
            gain=after.gain * self.gain, bias=after.gain * self.bias + after.bias
        )


def linear_conversion(
    source: str, target: str, scale: float = 1.0, offset: float = 0.0
) -> LinearConversion:
    """Fold ``raw * scale + offset`` (in ``source``) and the conversion to ``target``.

    Every conversion the shared registry accepts is affine (offset units such as degF ->
    degC included); logarithmic pairs are refused.
    """
    check_compatible(source, target)
    affine = affine_conversion(source, target)
    return LinearConversion(gain=affine.factor * scale, bias=affine.factor * offset + affine.offset)


# Float noise in register scaling (3600 µA * 0.001) must not move a reading across a threshold.
_MA_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class LoopSignal:
    """A 4-20 mA loop reading judged by NAMUR NE 43 and scaled onto its measuring range.

    * 4 mA and 20 mA are the two ends of the measuring range; currents between
      ``low_limit_ma`` and ``high_limit_ma`` (3.8 and 20.5 mA by default) scale linearly,
      slightly beyond the range ends included.
    * Between a fault threshold and a limit (3.6 < I < 3.8 mA, 20.5 < I < 21 mA) the
      reading is out of the measuring range: the value is saturated to the value of that
      limit (never extrapolated further) and the quality is ``out_of_range``.
    * At or below ``low_fault_ma`` (3.6 mA), at or above ``high_fault_ma`` (21 mA) the loop
      signals a sensor or wiring fault (a broken wire reads 0 mA): no value, quality
      ``loop_low_fault`` or ``loop_high_fault``.
    """

    to_ma: LinearConversion
    to_value: LinearConversion
    low_fault_ma: float
    low_limit_ma: float
    high_limit_ma: float
    high_fault_ma: float

    def read(self, raw: float) -> tuple[float | None, Quality | None]:
        """The value and, when the loop decides it, the quality (``None``: judge the value)."""
        ma = self.to_ma(raw)
        if ma <= self.low_fault_ma + _MA_TOLERANCE:
            return None, Quality.LOOP_LOW_FAULT
        if ma >= self.high_fault_ma - _MA_TOLERANCE:
            return None, Quality.LOOP_HIGH_FAULT
        if ma < self.low_limit_ma - _MA_TOLERANCE:
            return self.to_value(self.low_limit_ma), Quality.OUT_OF_RANGE
        if ma > self.high_limit_ma + _MA_TOLERANCE:
            return self.to_value(self.high_limit_ma), Quality.OUT_OF_RANGE
        return self.to_value(ma), None


def loop_signal(
    source_unit: str,
    scale: float,
    offset: float,
    value_range: tuple[float, float],
    range_unit: str,
    target_unit: str,
    thresholds_ma: tuple[float, float, float, float] = (3.6, 3.8, 20.5, 21.0),
) -> LoopSignal:
    """Prepare a loop point: register -> mA, then mA -> ``range_unit`` -> ``target_unit``."""
    at_4, at_20 = value_range
    gain = (at_20 - at_4) / 16.0
    onto_range = LinearConversion(gain=gain, bias=at_4 - 4.0 * gain)
    low_fault, low_limit, high_limit, high_fault = thresholds_ma
    return LoopSignal(
        to_ma=linear_conversion(source_unit, "mA", scale, offset),
        to_value=onto_range.then(linear_conversion(range_unit, target_unit)),
        low_fault_ma=low_fault,
        low_limit_ma=low_limit,
        high_limit_ma=high_limit,
        high_fault_ma=high_fault,
    )
