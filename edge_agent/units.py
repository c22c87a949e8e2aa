"""Unit handling: consulted once per point at configuration time, never per sample.

The registry is the one gateways and the server share (:mod:`mqtt_contract.units`), so a
unit the gateway accepts reads the same on the server: rpm is revolutions (cycles) per
minute, %RH is relative humidity, and printed forms such as ``℃`` or ``µS/cm`` are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mqtt_contract.units import (
    IncompatibleUnits,
    UnitProblem,
    affine_conversion,
)
from mqtt_contract.units import (
    parse_unit as _parse_shared,
)

__all__ = ["LinearConversion", "UnitProblem", "check_compatible", "linear_conversion", "parse_unit"]


def parse_unit(text: str) -> Any:
    """The pint unit of ``text``; raises :class:`UnitProblem` ("unknown unit '...'")."""
    return _parse_shared(text)


def check_compatible(source: str, target: str) -> None:
    """Raise :class:`UnitProblem` unless ``source`` converts to ``target`` linearly."""
    try:
        affine_conversion(source, target)
    except IncompatibleUnits as exc:
        message = f"'{target}' is not compatible with source unit '{source}'"
        raise UnitProblem(f"{message}: {exc.hint}" if exc.hint else message) from exc


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
