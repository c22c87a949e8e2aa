"""The one unit registry gateways and the server share (see docs/units.md).

Unit strings travel in the contract (``Series.unit``) and are configured on both sides, so
both sides must read them the same way. pint's stock registry gets three things wrong for a
lab:

* ``rpm`` is ``2π rad/min`` there, so 1,500 rpm "converts" to 157 Hz. Instruments mean
  revolutions per minute: one revolution is one cycle, and 1,500 rpm is 25 Hz. Here a
  revolution (and a cycle) is a plain count, and the radian gets its own dimension
  ``[angle]``: rpm, r/s, Hz and 1/min convert into each other, rad/s and deg/s are a
  different quantity and converting between the two is refused with a message naming both.
* ``%RH`` parses as percent × ronna-henry and ``pH`` as pico-henry. Relative humidity, pH
  and turbidity (NTU) get their own dimensions, so none of them converts into another or
  into ppm.
* Printed spellings (``℃``, ``% RH``, ``RH%``, ``r/min``, ``Torr``, ``ppb``) are unknown.

The registry is built once per process, on first use (a fraction of a second); only the
gateway and the server import this module, so the contract itself still needs pydantic alone.
"""

from __future__ import annotations

import math
import re
import threading
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "Affine",
    "IncompatibleUnits",
    "NonLinearUnits",
    "UnitProblem",
    "UnknownUnit",
    "affine_conversion",
    "check_compatible",
    "is_known_unit",
    "normalize",
    "numbers_refused",
    "parse_unit",
    "registry",
]


class UnitProblem(ValueError):
    """A unit string that cannot be used, or two units that cannot be converted."""


class UnknownUnit(UnitProblem):
    """``reason`` is always kept; the message shows it only where it tells the reader more."""

    def __init__(self, text: str, reason: str, explain: bool = True) -> None:
        self.text = text
        self.reason = reason
        super().__init__(
            f"unknown unit '{text}' ({reason})" if explain else f"unknown unit '{text}'"
        )


class IncompatibleUnits(UnitProblem):
    def __init__(self, source: str, target: str, hint: str | None) -> None:
        self.source = source
        self.target = target
        self.hint = hint
        message = f"'{source}' cannot be converted to '{target}'"
        super().__init__(f"{message}: {hint}" if hint else message)


class NonLinearUnits(UnitProblem):
    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        super().__init__(f"'{source}' converts to '{target}' non-linearly; not supported")


# Units the lab's instruments print that pint lacks, or reads as something else.
_LAB_DEFINITIONS = """
relative_humidity = [relative_humidity] = RH_fraction
percent_relative_humidity = 0.01 * relative_humidity = pct_RH
pH_value = [acidity] = pH
nephelometric_turbidity_unit = [turbidity] = NTU
parts_per_billion = 1e-9 = ppb
@alias torr = Torr
@alias revolutions_per_minute = RPM = r_min
@alias revolutions_per_second = RPS = r_s
"""

# pint's own lines that are changed: the radian becomes a dimension of its own, and a
# revolution (a cycle) a count rather than 2π radians.
_REPLACED = {
    "radian = [] = rad": "radian = [angle] = rad",
    "turn = 2 * π * radian = _ = revolution = cycle = circle": (
        "turn = 2 * π * radian = _ = circle\nrevolution = count = cycle = rev"
    ),
}

# Printed forms rewritten before pint reads a string. Order matters: humidity first, since
# pint would otherwise turn "%" into "percent" and "RH" into ronna-henry.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?<![\w.])(?:%\s*r\.?h\.?|r\.?h\.?\s*%)(?![\w])", re.IGNORECASE),
        "percent_relative_humidity",
    ),
    (re.compile("℃"), "degree_Celsius"),
    (re.compile("℉"), "degree_Fahrenheit"),
    (re.compile(r"(?<![\w.])r\s*/\s*min(?![\w])"), "r_min"),
    (re.compile(r"(?<![\w.])r\s*/\s*s(?![\w])"), "r_s"),
)

# Spellings refused outright: pint would read them as something nobody measures.
_AMBIGUOUS = {
    "RH": "write '%RH' for relative humidity; pint reads 'RH' as ronna-henry",
    "rh": "write '%RH' for relative humidity",
}


def normalize(text: str) -> str:
    """The printed form of a unit rewritten into names the registry knows."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


_lock = threading.Lock()
_registry: Any = None


def registry() -> Any:
    """The shared pint ``UnitRegistry``, built on first use."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = _build()
        return _registry


def _build() -> Any:
    import pint  # slow to import and not needed by the bridge: loaded on first use

    folder = Path(pint.__file__).parent
    text = (folder / "default_en.txt").read_text(encoding="utf-8")
    text = text.replace(
        "@import constants_en.txt", (folder / "constants_en.txt").read_text(encoding="utf-8")
    )
    for old, new in _REPLACED.items():
        if old not in text:  # a pint release changed its definitions: fail loudly, not wrongly
            raise RuntimeError(f"pint's definitions no longer contain {old!r}")
        text = text.replace(old, new)
    ureg: Any = pint.UnitRegistry(None, preprocessors=[normalize])
    ureg.load_definitions(text.splitlines() + _LAB_DEFINITIONS.splitlines())
    ureg._build_cache()
    return ureg


# Largest exponent a unit string may use; real units stop at 4 (m**4, K**-1).
_MAX_EXPONENT = 12.0


def numbers_refused(unit: str) -> str | None:
    """Why pint must not evaluate ``unit``, or ``None``.

    pint evaluates a unit string as arithmetic on Python ints, so "10**10**10" or
    "((10**99)**99)**99" would compute a number of billions of digits and stall the caller.
    A unit needs numbers only as small exponents (m**2, s^-1) and as the 1 of "1/s": any
    other number, a chained or large exponent is refused before pint sees the string.
    """
    # pint is loaded on first use (slow to import; the bridge never needs it).
    from pint.pint_eval import tokenizer
    from pint.util import string_preprocessor

    tokens = [
        t
        for t in tokenizer(string_preprocessor(normalize(unit)))
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


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> Any:
    """The pint unit of ``text``; raises :class:`UnknownUnit` with the reason."""
    if not isinstance(text, str) or not text.strip():
        raise UnknownUnit(str(text), "empty")
    ambiguous = _AMBIGUOUS.get(text.strip())
    if ambiguous is not None:
        raise UnknownUnit(text, ambiguous)
    # pint evaluates a unit string as an expression: "m/0" or "(" fail with
    # ZeroDivisionError or tokenize.TokenError, not a pint error. Any failure means "not a unit".
    try:
        refused = numbers_refused(text)
        if refused is not None:
            raise UnknownUnit(text, refused)
        return registry().Unit(normalize(text))
    except UnknownUnit:
        raise
    except Exception as exc:
        raise UnknownUnit(text, str(exc) or type(exc).__name__, explain=False) from exc


def is_known_unit(text: str) -> bool:
    try:
        parse_unit(text)
    except UnitProblem:
        return False
    return True


def _hint(source: Any, target: Any) -> str | None:
    """Why two units of different dimensions do not convert, where a reader may wonder."""
    dims = [dict(source.dimensionality), dict(target.dimensionality)]
    angles = [d.pop("[angle]", 0) for d in dims]
    if dims[0] == dims[1] and angles[0] != angles[1]:
        return (
            "a rotational speed (revolutions or cycles per time) is not an angular velocity "
            "(radians or degrees per time); a revolution counts as one cycle, so the two differ "
            "by 2π and are never converted silently"
        )
    if any("[relative_humidity]" in d for d in dims):
        return "relative humidity converts only to %RH or its fraction (RH_fraction)"
    if any(key in d for d in dims for key in ("[acidity]", "[turbidity]")):
        return "pH and NTU are scales of their own and convert to nothing else"
    return None


@dataclass(frozen=True, slots=True)
class Affine:
    """``target = factor * source + offset``."""

    factor: float
    offset: float


@lru_cache(maxsize=1024)
def affine_conversion(source: str, target: str) -> Affine:
    """Factor and offset taking ``source`` to ``target``; raises :class:`UnitProblem`.

    :class:`UnknownUnit` names the unit that is not known, :class:`IncompatibleUnits` two
    units of different quantities, :class:`NonLinearUnits` a logarithmic pair (dB, ...).
    """
    import pint  # slow to import and not needed by the bridge: loaded on first use

    src = parse_unit(source)
    dst = parse_unit(target)
    if src.dimensionality != dst.dimensionality:
        raise IncompatibleUnits(source, target, _hint(src, dst))
    ureg = registry()
    try:
        at_zero = float(ureg.Quantity(0.0, src).to(dst).magnitude)
        at_hundred = float(ureg.Quantity(100.0, src).to(dst).magnitude)
        # The factor from differences of units (delta_degF -> delta_degC), not from
        # subtracting converted values, which would lose digits to the offset.
        step = ureg.Quantity(1.0, src) - ureg.Quantity(0.0, src)
        target_step = (ureg.Quantity(1.0, dst) - ureg.Quantity(0.0, dst)).units
        factor = float(step.to(target_step).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise IncompatibleUnits(source, target, None) from exc
    except (pint.errors.PintError, ValueError, ArithmeticError) as exc:
        raise IncompatibleUnits(source, target, str(exc)) from exc
    expected = 100.0 * factor + at_zero
    if not (math.isfinite(factor) and math.isfinite(at_zero)) or not math.isclose(
        at_hundred, expected, rel_tol=1e-9, abs_tol=1e-9
    ):
        # Logarithmic units (dB, ...) are not affine: refuse rather than store wrong values.
        raise NonLinearUnits(source, target)
    return Affine(factor=factor, offset=at_zero)


def check_compatible(source: str, target: str) -> None:
    """Raise :class:`UnitProblem` unless ``source`` converts to ``target`` linearly."""
    try:
        affine_conversion(source, target)
    except IncompatibleUnits as exc:
        message = f"'{target}' is not compatible with source unit '{source}'"
        raise UnitProblem(f"{message}: {exc.hint}" if exc.hint else message) from exc
