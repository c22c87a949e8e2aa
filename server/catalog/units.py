"""Unit strings are pint expressions; check them where they enter the catalogue."""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["is_known_unit"]


@cache
def _registry() -> Any:
    import pint  # a fifth of a second to build; only needed when channels are created

    return pint.UnitRegistry()


def is_known_unit(unit: str) -> bool:
    import pint

    try:
        _registry().Unit(unit)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError):
        return False
    return True
