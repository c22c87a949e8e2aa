"""CMA certificate numbers and validity (docs/registry-and-calibration.md, CMA section)."""

from __future__ import annotations

from datetime import date

import pytest

from server.core.errors import ValidationFailed
from server.registry.cma import (
    ISSUING_AUTHORITIES,
    CmaStatus,
    cma_status,
    cma_valid_until,
    parse_cma_number,
)


def test_a_zhejiang_number_is_split_into_its_parts() -> None:
    parsed = parse_cma_number("231112050123", issued_on=date(2023, 5, 8))
    assert (parsed.year, parsed.authority, parsed.field_code, parsed.ministry_code) == (
        2023,
        "11",
        "12",
        "05",
    )
    assert parsed.serial == "0123"
    assert "Zhejiang" in parsed.authority_name


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("23111205012", "must be 12 digits"),
        ("2311120501234", "must be 12 digits"),
        ("23111205O123", "digits only"),
        ("２３１１１２０５０１２３", "digits only"),
        ("239912050123", "issuing authority code 99"),
        # GB/T 2260 gives Zhejiang 33; CMA numbers use the authorities' own order (11).
        ("233312050123", "issuing authority code 33"),
        ("233212050123", "issuing authority code 32"),
        ("231122050123", "field code 22"),
        ("231199050123", "field code 99"),
        ("231112350123", "ministry code 35"),
        ("231112990123", "ministry code 99"),
        ("231112050000", "serial 0000"),
    ],
)
def test_malformed_numbers_are_refused_with_the_reason(number: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_cma_number(number, field="cma.number")
    assert message in caught.value.detail
    assert caught.value.errors[0].field == "cma.number"


def test_every_bad_part_is_named_separately() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_cma_number("233322350000", field="number")
    reasons = [e.message for e in caught.value.errors]
    assert len(reasons) == 4
    assert any("authority" in r and "00" in r and "01–31" in r for r in reasons)
    assert any("field code 22" in r and "00–21" in r for r in reasons)
    assert any("ministry code 35" in r and "00–34" in r for r in reasons)
    assert any("serial" in r for r in reasons)


@pytest.mark.parametrize(
    "number",
    [
        "230012050123",  # national authority
        "230112050123",  # 01 Beijing
        "233112050123",  # 31 Xinjiang, the last authority
        "231100050123",  # field code 00 is a real field
        "231121050123",  # field code 21, the last field
        "231112000123",  # ministry code 00
        "231112340123",  # ministry code 34, the last ministry
        "231112050001",  # serials start at 0001
    ],
)
def test_every_code_inside_the_published_ranges_is_accepted(number: str) -> None:
    parse_cma_number(number)


def test_the_authorities_are_national_plus_thirty_one_provinces_in_order() -> None:
    assert sorted(ISSUING_AUTHORITIES) == [f"{n:02d}" for n in range(32)]
    assert "Beijing" in ISSUING_AUTHORITIES["01"]
    assert "Shanghai" in ISSUING_AUTHORITIES["09"]
    assert "Jiangsu" in ISSUING_AUTHORITIES["10"]
    assert "Zhejiang" in ISSUING_AUTHORITIES["11"]
    assert "Anhui" in ISSUING_AUTHORITIES["12"]
    assert "Xinjiang" in ISSUING_AUTHORITIES["31"]


def test_year_digits_must_match_the_issue_date() -> None:
    with pytest.raises(ValidationFailed, match="do not match the issue date's year 2024"):
        parse_cma_number("231112050123", issued_on=date(2024, 1, 2))


@pytest.mark.parametrize(
    ("issued_on", "valid_until"),
    [
        (date(2023, 5, 8), date(2029, 5, 7)),
        (date(2025, 3, 1), date(2031, 2, 28)),
        # 2030 is a common year: the anniversary of 29 February is 28 February.
        (date(2024, 2, 29), date(2030, 2, 27)),
        (date(2020, 2, 29), date(2026, 2, 27)),
        # 2032 is a leap year: the anniversary exists.
        (date(2026, 2, 28), date(2032, 2, 27)),
        (date(2026, 1, 1), date(2031, 12, 31)),
    ],
)
def test_derived_valid_until_is_the_day_before_the_sixth_anniversary(
    issued_on: date, valid_until: date
) -> None:
    assert cma_valid_until(issued_on) == valid_until


def test_status_from_issue_to_expiry_and_renewal_window() -> None:
    issued_on = date(2020, 2, 29)
    valid_until = cma_valid_until(issued_on)  # 2026-02-27, the last valid day
    assert cma_status(issued_on, valid_until, date(2020, 2, 28)) is CmaStatus.NOT_YET_VALID
    assert cma_status(issued_on, valid_until, issued_on) is CmaStatus.VALID
    # Renewal is applied for three months before expiry (the first invalid day, 28 February).
    assert cma_status(issued_on, valid_until, date(2025, 11, 27)) is CmaStatus.VALID
    assert cma_status(issued_on, valid_until, date(2025, 11, 28)) is CmaStatus.RENEWAL_DUE
    assert cma_status(issued_on, valid_until, valid_until) is CmaStatus.RENEWAL_DUE
    assert cma_status(issued_on, valid_until, date(2026, 2, 28)) is CmaStatus.EXPIRED


def test_the_printed_date_counts_even_when_it_differs_from_the_derived_one() -> None:
    issued_on, printed = date(2023, 5, 8), date(2028, 12, 31)
    assert cma_status(issued_on, printed, date(2028, 12, 31)) is CmaStatus.RENEWAL_DUE
    assert cma_status(issued_on, printed, date(2029, 1, 1)) is CmaStatus.EXPIRED
