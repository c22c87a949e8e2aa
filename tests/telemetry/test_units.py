"""Unit conversion into a channel's canonical unit."""

from __future__ import annotations

import pytest

from server.telemetry.units import IncompatibleUnitError, UnitConverter


@pytest.fixture(scope="module")
def converter() -> UnitConverter:
    return UnitConverter()


@pytest.mark.parametrize(
    ("unit", "canonical", "reading", "expected"),
    [
        ("degF", "degC", 212.0, 100.0),
        ("degF", "degC", -40.0, -40.0),
        ("K", "degC", 273.15, 0.0),
        ("degC", "K", 25.0, 298.15),
        ("kW", "W", 1.5, 1500.0),
        ("mbar", "kPa", 1013.25, 101.325),
        ("percent", "dimensionless", 45.0, 0.45),
    ],
)
def test_compatible_units_are_converted(
    converter: UnitConverter, unit: str, canonical: str, reading: float, expected: float
) -> None:
    conversion = converter.conversion(unit, canonical)
    assert conversion.apply(reading) == pytest.approx(expected, abs=1e-9)


def test_same_unit_is_the_identity(converter: UnitConverter) -> None:
    conversion = converter.conversion("degC", "degC")
    assert conversion.is_identity
    assert conversion.apply(21.5) == 21.5


def test_missing_value_stays_missing(converter: UnitConverter) -> None:
    assert converter.conversion("degF", "degC").apply(None) is None


def test_conversion_is_computed_once_per_pair(converter: UnitConverter) -> None:
    first = converter.conversion("degF", "degC")
    assert converter.conversion("degF", "degC") is first


@pytest.mark.parametrize(
    ("unit", "canonical", "message"),
    [
        ("W", "degC", "cannot be converted"),
        ("furlongs_per_banana", "W", "not a known unit"),
        ("W", "no_such_unit", "canonical unit"),
        ("dB", "dimensionless", "non-linearly"),
    ],
)
def test_incompatible_units_are_refused_with_a_reason(
    converter: UnitConverter, unit: str, canonical: str, message: str
) -> None:
    with pytest.raises(IncompatibleUnitError, match=message):
        converter.conversion(unit, canonical)
    # The refusal is cached too, and still raised.
    with pytest.raises(IncompatibleUnitError, match=message):
        converter.conversion(unit, canonical)
