"""Conversion of a series' unit into its channel's canonical unit.

Gateways convert to the unit they announce, which may differ from the channel's canonical
unit (a chamber configured in degF, a channel stored in degC). Every pint conversion we accept
is affine, so it is computed once per (unit, canonical unit) pair as ``factor`` and ``offset``
and applied per sample with one multiply and one add.
"""

from __future__ import annotations

import math
import threading
import tokenize
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

# Largest exponent a unit string may use; real units stop at 4 (m**4, K**-1).
_MAX_EXPONENT = 12.0


def _numbers_refused(unit: str) -> str | None:
    """Why pint must not evaluate ``unit``, or ``None``.

    pint evaluates a unit string as arithmetic on Python ints, so "10**10**10" or
    "((10**99)**99)**99" would compute a number of billions of digits and stall ingest. A unit
    needs numbers only as small exponents (m**2, s^-1) and as the 1 of "1/s": any other number,
    a chained or large exponent is refused before pint sees the string.
    """
    from pint.pint_eval import tokenizer
    from pint.util import string_preprocessor

    tokens = [
        t
        for t in tokenizer(string_preprocessor(unit))
        if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]
    exponents: set[int] = set()
    for i, token in enumerate(tokens):
        if token.string != "**":
            continue
        j = i + 1
        opened = j < len(tokens) and tokens[j].string == "("
        j += opened
        j += j < len(tokens) and tokens[j].string in ("+", "-")
        if j >= len(tokens) or tokens[j].type != tokenize.NUMBER:
            return "an exponent must be a number"
        exponent = float(tokens[j].string)
        if not abs(exponent) <= _MAX_EXPONENT:
            return f"exponent {tokens[j].string} is out of range (at most {_MAX_EXPONENT:g})"
        exponents.add(j)
        j += 1
        if opened:
            if j >= len(tokens) or tokens[j].string != ")":
                return "an exponent must be a number"
            j += 1
        if j < len(tokens) and tokens[j].string == "**":
            return "chained exponents are not supported"
    for i, token in enumerate(tokens):
        if token.type != tokenize.NUMBER or i in exponents:
            continue
        after = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if token.string != "1" or after == "**":
            return f"the number {token.string} has no place in a unit"
    return None


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
            refused = _numbers_refused(unit)
            if refused is not None:
                return IncompatibleUnitError(f"unit {unit!r} is not a known unit ({refused})")
            source = ureg.Unit(unit)
        except Exception as exc:
            return IncompatibleUnitError(f"unit {unit!r} is not a known unit ({exc})")
        try:
            refused = _numbers_refused(canonical)
            if refused is not None:
                raise ValueError(refused)
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
