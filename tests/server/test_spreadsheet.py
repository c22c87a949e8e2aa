"""Cells for CSV and XLSX exports: user-typed text never breaks a workbook or runs as a formula."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from server.core.spreadsheet import safe_row, safe_text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_excel_would_read_as_a_formula_stays_text(start: str) -> None:
    assert safe_text(f"{start}1+1") == f"'{start}1+1"


def test_ordinary_and_chinese_text_is_unchanged() -> None:
    assert safe_text("恒温恒湿箱 CH-01 (−40…150 ℃)") == "恒温恒湿箱 CH-01 (−40…150 ℃)"


def test_numbers_and_dates_pass_through_so_sums_still_work() -> None:
    row = safe_row([-3, Decimal("-12.50"), date(2026, 1, 2), None, "-x"])
    assert row == [-3, Decimal("-12.50"), date(2026, 1, 2), None, "'-x"]


def test_a_workbook_holding_every_control_character_saves_and_reads_back() -> None:
    text = "".join(chr(c) for c in range(32)) + "end"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(safe_row([text]))
    buffer = io.BytesIO()
    book.save(buffer)
    value = load_workbook(io.BytesIO(buffer.getvalue())).active["A1"].value  # type: ignore[index]
    assert value.endswith("end")
    assert "\t" in value
    assert "\n" in value
