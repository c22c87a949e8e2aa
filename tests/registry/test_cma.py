"""CMA certificate number validation and six-year validity (docs/domain-rules.md §4)."""

from __future__ import annotations

from datetime import date

import pytest

from server.core.errors import ValidationFailed
from server.registry.cma import CmaStatus, cma_status, cma_valid_until, parse_cma_number


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
        ("231100050123", "field code 00"),
        ("231112050000", "serial 0000"),
    ],
)
def test_malformed_numbers_are_refused_with_the_reason(number: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_cma_number(number, field="cma.number")
    assert message in caught.value.detail
    assert caught.value.errors[0].field == "cma.number"


def test_year_digits_must_match_the_issue_date() -> None:
    with pytest.raises(ValidationFailed, match="do not match the issue date's year 2024"):
        parse_cma_number("231112050123", issued_on=date(2024, 1, 2))


def test_six_year_validity_and_renewal_window() -> None:
    valid_until = cma_valid_until(date(2020, 2, 29))
    assert valid_until == date(2026, 2, 28)
    assert cma_status(valid_until, date(2025, 11, 27)) is CmaStatus.VALID
    assert cma_status(valid_until, date(2025, 11, 28)) is CmaStatus.RENEWAL_DUE
    assert cma_status(valid_until, date(2026, 2, 27)) is CmaStatus.RENEWAL_DUE
    assert cma_status(valid_until, date(2026, 2, 28)) is CmaStatus.EXPIRED
