"""Conversion of a series' unit into its channel's canonical unit.

Gateways convert to the unit they announce, which may differ from the channel's canonical
unit (a chamber configured in degF, a channel stored in degC). Every pint conversion we accept
is affine, so it is computed once per (unit, canonical unit) pair as ``factor`` and ``offset``
and applied per sample with one multiply and one add.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

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
        self._registry: Any = None
        self._cache: dict[tuple[str, str], Conversion | IncompatibleUnitError] = {}
        self._lock = threading.Lock()

    def _ureg(self) -> Any:
        # Building a pint registry takes a noticeable fraction of a second: only on first use.
        with self._lock:
            if self._registry is None:
                import pint

                self._registry = pint.UnitRegistry()
            return self._registry

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

    def _compute(self, unit: str, canonical: str) -> Conversion | IncompatibleUnitError:
        import pint

        ureg = self._ureg()
        # pint evaluates a unit string as an arithmetic expression: a gateway's "m/0" or "("
        # fails with ZeroDivisionError or tokenize.TokenError, not a pint error. Any failure
        # to parse means "not a unit", refused for that series alone.
        try:
            source = ureg.Unit(unit)
        except Exception as exc:
            return IncompatibleUnitError(f"unit {unit!r} is not a known unit ({exc})")
        try:
            target = ureg.Unit(canonical)
        except Exception as exc:
            return IncompatibleUnitError(
                f"the channel's canonical unit {canonical!r} is not a known unit ({exc})"
            )
        try:
            at_zero = float(ureg.Quantity(0.0, source).to(target).magnitude)
            at_hundred = float(ureg.Quantity(100.0, source).to(target).magnitude)
            # The factor from differences of units (delta_degF -> delta_degC), not from
            # subtracting converted values, which would lose digits to the offset.
            step = ureg.Quantity(1.0, source) - ureg.Quantity(0.0, source)
            target_step = (ureg.Quantity(1.0, target) - ureg.Quantity(0.0, target)).units
            factor = float(step.to(target_step).magnitude)
        except pint.errors.DimensionalityError:
            return IncompatibleUnitError(
                f"unit {unit!r} cannot be converted to the channel's unit {canonical!r}"
            )
        except (pint.errors.PintError, ValueError, ArithmeticError) as exc:
            return IncompatibleUnitError(
                f"unit {unit!r} cannot be converted to the channel's unit {canonical!r} ({exc})"
            )
        offset = at_zero
        expected = 100.0 * factor + offset
        if not math.isclose(at_hundred, expected, rel_tol=1e-9, abs_tol=1e-9):
            # Logarithmic units (dB, pH, ...) are not affine: refuse rather than store wrong values.
            return IncompatibleUnitError(
                f"unit {unit!r} converts to {canonical!r} non-linearly; not supported"
            )
        return Conversion(factor=factor, offset=offset)
