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
        # A revolution is one cycle: 1,500 rpm is 25 Hz (stock pint says 157 Hz).
        ("rpm", "Hz", 1500.0, 25.0),
        ("r/min", "Hz", 1500.0, 25.0),
        ("rps", "rpm", 25.0, 1500.0),
        ("Hz", "1/min", 25.0, 1500.0),
        ("%RH", "RH_fraction", 45.0, 0.45),
        ("% RH", "%RH", 45.0, 45.0),
        ("RH%", "%rh", 45.0, 45.0),
        ("mmHg", "kPa", 760.0, 101.325),
        ("Torr", "mmHg", 760.0, 760.0),
        ("psi", "kPa", 14.6959488, 101.325),
        ("inH2O", "Pa", 1.0, 249.08891),
        ("℃", "K", 25.0, 298.15),
        ("°F", "℃", 212.0, 100.0),
        ("ppm", "ppb", 1.5, 1500.0),
        ("µS/cm", "mS/m", 1413.0, 141.3),
        ("μS/cm", "uS/cm", 5.0, 5.0),
    ],
)
def test_compatible_units_are_converted(
    converter: UnitConverter, unit: str, canonical: str, reading: float, expected: float
) -> None:
    conversion = converter.conversion(unit, canonical)
    assert conversion.apply(reading) == pytest.approx(expected, rel=1e-6, abs=1e-9)


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
        ("rpm", "rad/s", "'rpm' cannot be converted to the channel's unit 'rad/s'"),
        ("rad/s", "Hz", "angular velocity"),
        ("%RH", "percent", "relative humidity"),
        ("%RH", "ppm", "cannot be converted"),
        ("pH", "%RH", "cannot be converted"),
        ("pH", "ppm", "cannot be converted"),
        ("NTU", "dimensionless", "cannot be converted"),
        ("RH", "%RH", "ronna-henry"),
        ("10**10**10", "%RH", "is not a known unit"),
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
