"""The unit registry gateways and the server share: lab units read the way instruments mean them."""

from __future__ import annotations

import pytest

from mqtt_contract.units import (
    IncompatibleUnits,
    NonLinearUnits,
    UnknownUnit,
    affine_conversion,
    is_known_unit,
    numbers_refused,
    parse_unit,
    registry,
)


def convert(value: float, source: str, target: str) -> float:
    affine = affine_conversion(source, target)
    return affine.factor * value + affine.offset


# --- rotational speed: a revolution is one cycle -------------------------------------------


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1500.0, "rpm", "Hz", 25.0),
        (1500.0, "r/min", "Hz", 25.0),
        (1500.0, "RPM", "1/s", 25.0),
        (25.0, "rps", "rpm", 1500.0),
        (25.0, "r/s", "r/min", 1500.0),
        (25.0, "Hz", "rpm", 1500.0),
        (1500.0, "rpm", "1/min", 1500.0),
        (90.0, "1/min", "Hz", 1.5),
        (1.0, "revolution/minute", "rpm", 1.0),
    ],
)
def test_rotational_speed_converts_one_revolution_to_one_cycle(
    value: float, source: str, target: str, expected: float
) -> None:
    assert convert(value, source, target) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("source", "target"),
    [("rpm", "rad/s"), ("rad/s", "rpm"), ("Hz", "rad/s"), ("r/s", "deg/s"), ("deg/s", "Hz")],
)
def test_rotational_speed_never_turns_silently_into_angular_velocity(
    source: str, target: str
) -> None:
    with pytest.raises(IncompatibleUnits) as raised:
        affine_conversion(source, target)
    message = str(raised.value)
    assert source in message
    assert target in message
    assert "angular velocity" in message


def test_angular_units_still_convert_among_themselves() -> None:
    assert convert(180.0, "deg/s", "rad/s") == pytest.approx(3.141592653589793)
    assert convert(1.0, "turn", "deg") == pytest.approx(360.0)


def test_stock_pint_would_have_been_wrong_by_two_pi() -> None:
    """The reason this registry exists: pint's own rpm is 2π rad/min."""
    import pint

    stock = pint.UnitRegistry()
    assert stock.Quantity(1500, "rpm").to("Hz").magnitude == pytest.approx(157.0796, rel=1e-6)
    assert registry().Quantity(1500, "rpm").to("Hz").magnitude == pytest.approx(25.0)


# --- relative humidity ----------------------------------------------------------------------


@pytest.mark.parametrize("printed", ["%RH", "% RH", "RH%", "%rh", "RH %", "%r.h."])
def test_printed_forms_of_relative_humidity_are_relative_humidity(printed: str) -> None:
    unit = parse_unit(printed)
    assert str(unit) == "percent_relative_humidity"
    assert "henry" not in str(unit)
    assert convert(45.0, printed, "%RH") == pytest.approx(45.0)
    assert convert(45.0, printed, "RH_fraction") == pytest.approx(0.45)


@pytest.mark.parametrize("other", ["percent", "ppm", "dimensionless", "pH", "NTU", "H"])
def test_relative_humidity_converts_to_nothing_else(other: str) -> None:
    with pytest.raises(IncompatibleUnits, match="relative humidity"):
        affine_conversion("%RH", other)


def test_bare_rh_is_refused_rather_than_read_as_ronna_henry() -> None:
    with pytest.raises(UnknownUnit, match="%RH"):
        parse_unit("RH")


# --- the other lab units --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (760.0, "mmHg", "Torr", 760.0),
        (760.0, "Torr", "kPa", 101.325),
        (760.0, "mmHg", "kPa", 101.325),
        (100.0, "kPa", "Torr", 750.0616827),
        (14.6959488, "psi", "kPa", 101.325),
        (1.0, "inH2O", "Pa", 249.08891),
        (25.0, "℃", "K", 298.15),
        (25.0, "°C", "K", 298.15),
        (212.0, "°F", "℃", 100.0),
        (212.0, "℉", "degC", 100.0),
        (1.0, "ppm", "ppb", 1000.0),
        (2500.0, "ppb", "ppm", 2.5),
        (1.0, "µS/cm", "mS/m", 0.1),  # micro sign U+00B5
        (1.0, "μS/cm", "mS/m", 0.1),  # Greek mu U+03BC
        (1.0, "uS/cm", "µS/cm", 1.0),
        (1413.0, "µS/cm", "mS/cm", 1.413),
        (8.0, "mg/L", "g/m**3", 8.0),
        (500.0, "lx", "lm/m**2", 500.0),
    ],
)
def test_lab_units_convert_to_their_relatives(
    value: float, source: str, target: str, expected: float
) -> None:
    assert convert(value, source, target) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("unit", ["pH", "NTU"])
def test_ph_and_turbidity_are_their_own_scales(unit: str) -> None:
    assert convert(7.0, unit, unit) == 7.0
    assert "henry" not in str(parse_unit(unit))
    for other in ("%RH", "ppm", "dimensionless", "percent", "pH", "NTU"):
        if other == unit:
            continue
        with pytest.raises(IncompatibleUnits):
            affine_conversion(unit, other)


@pytest.mark.parametrize(
    "printed",
    ["%RH", "ppm", "ppb", "mg/L", "µS/cm", "μS/cm", "uS/cm", "NTU", "pH", "lx", "mmHg", "Torr",
     "psi", "inH2O", "°C", "℃", "°F", "rpm", "r/min", "rps", "r/s", "Hz", "1/min"],
)  # fmt: skip
def test_every_unit_the_instruments_print_is_known(printed: str) -> None:
    assert is_known_unit(printed)


def test_logarithmic_units_are_refused() -> None:
    with pytest.raises(NonLinearUnits):
        affine_conversion("dB", "dimensionless")


@pytest.mark.timeout(10)
@pytest.mark.parametrize("unit", ["10**10**10", "((10**99)**99)**99", "m**(9**9**9)", "2 m"])
def test_unit_strings_with_large_numbers_are_refused_before_pint_reads_them(unit: str) -> None:
    assert numbers_refused(unit) is not None
    assert not is_known_unit(unit)


@pytest.mark.parametrize("unit", ["1/s", "m**2", "s^-1", "%RH", "℃", "r/min", "W/cm²"])
def test_ordinary_units_pass_the_number_check(unit: str) -> None:
    assert numbers_refused(unit) is None
