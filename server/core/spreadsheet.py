"""Cells that every spreadsheet program opens safely, for every CSV and XLSX export.

Two hazards come from user-typed text (instrument, organisation and user names):

* control characters (``\\x00``–``\\x1f`` except tab, newline and carriage return) are not
  allowed in an XLSX file at all, so openpyxl refuses the whole workbook;
* text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by Excel and
  WPS as a formula (CSV/formula injection, OWASP); a leading apostrophe makes it text.

Numbers, decimals and dates pass through untouched so that sums still work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """``value`` without characters XLSX forbids, and never read as a formula."""
    cleaned = _ILLEGAL.sub("\ufffd", value)
    if cleaned.startswith(_FORMULA_START):
        return "'" + cleaned
    return cleaned


def safe_cell(value: Any) -> Any:
    """A cell value as written: text made safe, every other type unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """One row of cells, each made safe."""
    return [safe_cell(v) for v in values]
