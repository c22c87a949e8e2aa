"""Gateway unit handling: rpm is cycles per minute, lab units as instruments print them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge_agent.poller import PreparedPoint
from edge_agent.units import UnitProblem, check_compatible, linear_conversion, parse_unit
from mqtt_contract.gateway_config import ConfigError, parse_config
from tests.harness.edge import doc


def with_point(**point: Any) -> dict[str, Any]:
    document = doc()
    document["devices"][0]["points"] = [
        {"key": "speed", "register": "holding", "address": 0, "type": "uint16", **point}
    ]
    return document


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("source", "target", "raw", "expected"),
    [
        ("rpm", "Hz", 1500.0, 25.0),
        ("r/min", "Hz", 1500.0, 25.0),
        ("rpm", "r/s", 1500.0, 25.0),
        ("rps", "rpm", 25.0, 1500.0),
        ("Hz", "1/min", 25.0, 1500.0),
    ],
)
def test_rotational_speed_converts_one_revolution_to_one_cycle(
    source: str, target: str, raw: float, expected: float
) -> None:
    assert linear_conversion(source, target)(raw) == pytest.approx(expected)


def test_a_point_in_rpm_published_in_hz_reports_25_hz_at_1500_rpm() -> None:
    config = parse_config(with_point(source_unit="rpm", unit="Hz"))
    prepared = PreparedPoint.from_config(config.devices[0].points[0])
    assert prepared.convert(1500.0) == (pytest.approx(25.0), None)


@pytest.mark.parametrize(("source", "target"), [("rpm", "rad/s"), ("r/min", "deg/s")])
def test_rpm_to_angular_velocity_is_refused_naming_both_units(source: str, target: str) -> None:
    with pytest.raises(UnitProblem) as raised:
        check_compatible(source, target)
    assert f"'{target}' is not compatible with source unit '{source}'" in str(raised.value)
    assert "angular velocity" in str(raised.value)
    with pytest.raises(ConfigError) as caught:
        parse_config(with_point(source_unit=source, unit=target))
    [issue] = caught.value.issues
    assert issue.path == "devices[0].points[0].unit"
    assert "angular velocity" in issue.message


def test_check_refuses_a_config_converting_rpm_to_rad_per_second(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(yaml.safe_dump(with_point(source_unit="rpm", unit="rad/s")))
    result = _cli("check", str(config))
    assert result.returncode == 2, result.stdout
    assert "devices[0].points[0].unit: 'rad/s' is not compatible with source unit 'rpm'" in (
        result.stderr
    )
    assert "angular velocity" in result.stderr


def test_check_accepts_a_config_converting_rpm_to_hz(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(yaml.safe_dump(with_point(source_unit="rpm", unit="Hz")))
    result = _cli("check", str(config))
    assert result.returncode == 0, result.stderr
    assert "configuration is valid" in result.stdout


@pytest.mark.parametrize(
    ("source", "target", "raw", "expected"),
    [
        ("%RH", "RH_fraction", 45.0, 0.45),
        ("% RH", "%RH", 45.0, 45.0),
        ("RH%", "%rh", 45.0, 45.0),
        ("mmHg", "kPa", 760.0, 101.325),
        ("Torr", "mmHg", 760.0, 760.0),
        ("psi", "kPa", 1.0, 6.894757),
        ("inH2O", "Pa", 1.0, 249.08891),
        ("℃", "K", 0.0, 273.15),
        ("°F", "°C", 212.0, 100.0),
        ("ppm", "ppb", 1.5, 1500.0),
        ("µS/cm", "mS/m", 1413.0, 141.3),
        ("uS/cm", "μS/cm", 5.0, 5.0),
    ],
)
def test_lab_units_convert_at_the_gateway(
    source: str, target: str, raw: float, expected: float
) -> None:
    assert linear_conversion(source, target)(raw) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("source", "target"),
    [("%RH", "percent"), ("%RH", "ppm"), ("pH", "%RH"), ("pH", "ppm"), ("NTU", "pH")],
)
def test_distinct_lab_scales_do_not_convert(source: str, target: str) -> None:
    with pytest.raises(UnitProblem, match="is not compatible"):
        check_compatible(source, target)


def test_relative_humidity_is_never_a_henry() -> None:
    assert "henry" not in str(parse_unit("%RH"))
    assert "henry" not in str(parse_unit("pH"))
    issues = parse_config_issues(with_point(source_unit="RH"))
    assert issues == [
        "devices[0].points[0].source_unit: unknown unit 'RH' "
        "(write '%RH' for relative humidity; pint reads 'RH' as ronna-henry)"
    ]


def parse_config_issues(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return [str(i) for i in caught.value.issues]
