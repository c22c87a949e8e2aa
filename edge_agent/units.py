"""Unit handling: pint is consulted once per point at configuration time, never per sample."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pint

__all__ = ["LinearConversion", "UnitProblem", "check_compatible", "linear_conversion", "parse_unit"]

_registry: Any = pint.UnitRegistry()


class UnitProblem(ValueError):
    """A unit string pint does not know, or two units of different dimensions."""


@lru_cache(maxsize=512)
def parse_unit(text: str) -> Any:
    try:
        return _registry.Unit(text)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError) as exc:
        raise UnitProblem(f"unknown unit '{text}'") from exc


def check_compatible(source: str, target: str) -> None:
    source_unit = parse_unit(source)
    target_unit = parse_unit(target)
    if source_unit.dimensionality != target_unit.dimensionality:
        raise UnitProblem(f"'{target}' is not compatible with source unit '{source}'")


@dataclass(frozen=True, slots=True)
class LinearConversion:
    """``value = gain * raw + bias``: register scaling and unit conversion folded together."""

    gain: float
    bias: float

    def __call__(self, raw: float) -> float:
        return self.gain * raw + self.bias


def linear_conversion(
    source: str, target: str, scale: float = 1.0, offset: float = 0.0
) -> LinearConversion:
    """Fold ``raw * scale + offset`` (in ``source``) and the conversion to ``target``.

    Every pint conversion between units of one dimension is affine (offset units such as
    degF -> degC included), so two evaluations give its slope and intercept exactly.
    """
    check_compatible(source, target)
    quantity = _registry.Quantity
    src, dst = parse_unit(source), parse_unit(target)
    if quantity(1.0, src)._is_multiplicative and quantity(1.0, dst)._is_multiplicative:
        slope = float(quantity(1.0, src).to(dst).magnitude)
        zero = 0.0
    else:
        # A wide span keeps the slope of offset units (degF -> degC) exact to the last digit.
        zero = float(quantity(0.0, src).to(dst).magnitude)
        slope = (float(quantity(1000.0, src).to(dst).magnitude) - zero) / 1000.0
    return LinearConversion(gain=slope * scale, bias=slope * offset + zero)
