"""Conversion of a series' unit into its channel's canonical unit.

Gateways convert to the unit they announce, which may differ from the channel's canonical
unit (a chamber configured in degF, a channel stored in degC). Every conversion we accept is
affine, so it is computed once per (unit, canonical unit) pair as ``factor`` and ``offset``
and applied per sample with one multiply and one add. Units are read with the registry the
gateways use too (:mod:`mqtt_contract.units`): rpm is cycles per minute, %RH is relative
humidity, and a rotational speed never turns silently into an angular velocity.
"""

from __future__ import annotations

from dataclasses import dataclass

from mqtt_contract.units import (
    IncompatibleUnits,
    NonLinearUnits,
    UnitProblem,
    UnknownUnit,
    affine_conversion,
    parse_unit,
)

__all__ = ["Conversion", "IncompatibleUnitError", "UnitConverter"]


class IncompatibleUnitError(ValueError):
    """The announced unit cannot be expressed in the channel's canonical unit."""


@dataclass(frozen=True, slots=True)
class Conversion:
    factor: float
    offset: float

    @property
    def is_identity(self) -> bool:
        return self.factor == 1.0 and self.offset == 0.0

    def apply(self, value: float | None) -> float | None:
        if value is None:
            return None
        return value * self.factor + self.offset


IDENTITY = Conversion(1.0, 0.0)


class UnitConverter:
    """Caches one :class:`Conversion` (or the refusal) per (unit, canonical unit) pair."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Conversion | IncompatibleUnitError] = {}

    def conversion(self, unit: str, canonical: str) -> Conversion:
        """Factor and offset taking ``unit`` to ``canonical``; raises IncompatibleUnitError."""
        if unit == canonical:
            return IDENTITY
        key = (unit, canonical)
        found = self._cache.get(key)
        if found is None:
            found = self._compute(unit, canonical)
            self._cache[key] = found
        if isinstance(found, IncompatibleUnitError):
            raise found
        return found

    @staticmethod
    def _compute(unit: str, canonical: str) -> Conversion | IncompatibleUnitError:
        try:
            parse_unit(unit)
        except UnknownUnit as exc:
            return IncompatibleUnitError(f"unit {unit!r} is not a known unit ({exc.reason})")
        try:
            parse_unit(canonical)
        except UnknownUnit as exc:
            return IncompatibleUnitError(
                f"the channel's canonical unit {canonical!r} is not a known unit ({exc.reason})"
            )
        try:
            affine = affine_conversion(unit, canonical)
        except IncompatibleUnits as exc:
            message = f"unit {unit!r} cannot be converted to the channel's unit {canonical!r}"
            return IncompatibleUnitError(f"{message} ({exc.hint})" if exc.hint else message)
        except NonLinearUnits:
            # Logarithmic units (dB, ...) are not affine: refuse rather than store wrong values.
            return IncompatibleUnitError(
                f"unit {unit!r} converts to {canonical!r} non-linearly; not supported"
            )
        except UnitProblem as exc:
            return IncompatibleUnitError(
                f"unit {unit!r} cannot be converted to the channel's unit {canonical!r} ({exc})"
            )
        return Conversion(factor=affine.factor, offset=affine.offset)
