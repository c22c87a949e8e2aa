from __future__ import annotations

import json

import pytest

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import FakeClock
from edge_agent.fakes import RecordingSink
from edge_agent.mqtt_source import MqttDeviceSource, extract_field
from mqtt_contract.gateway_config import MqttDevice
from mqtt_contract.v1 import Calibration, CalibrationTablePoint, Quality


def test_extract_field_follows_paths() -> None:
    doc = {"data": {"values": [{"t": 1.5}, {"t": 2.5}], "mass": 12}}
    assert extract_field(doc, "data.mass") == 12
    assert extract_field(doc, "data.values[1].t") == 2.5
    assert extract_field(doc, "data.values[5].t") is None
    assert extract_field(doc, "data.nothing") is None


def balance() -> tuple[MqttDeviceSource, RecordingSink, FakeClock]:
    device = MqttDevice.model_validate(
        {
            "key": "balance-1",
            "protocol": "mqtt",
            "topic": "lab/balance-1",
            "stale_after_s": 5,
            "points": [
                {"key": "mass", "field": "data.mass", "source_unit": "g", "unit": "kg"},
                {"key": "stable", "field": "data.stable"},
            ],
        }
    )
    sink = RecordingSink()
    clock = FakeClock()
    return MqttDeviceSource(device, sink, clock, CalibrationBook()), sink, clock


def test_json_messages_become_converted_readings() -> None:
    source, sink, _clock = balance()
    source.handle(json.dumps({"data": {"mass": 250.0, "stable": True}}).encode())
    assert [(r.point, r.value, r.unit, r.quality) for r in sink.readings] == [
        ("mass", pytest.approx(0.25), "kg", Quality.OK),
        ("stable", 1.0, "dimensionless", Quality.OK),
    ]
    source.handle(b'{"data": {"mass": "heavy"}}')
    assert [(r.point, r.value, r.quality) for r in sink.readings[2:]] == [
        ("mass", None, Quality.OUT_OF_RANGE),
        ("stable", None, Quality.OUT_OF_RANGE),
    ]
    assert source.handle(b"not json") == []
    assert source.health.status == "ok"


def test_silent_device_is_reported_stale_once() -> None:
    source, _sink, clock = balance()
    source.handle(b'{"data": {"mass": 1, "stable": true}}')
    clock.advance(4)
    assert source.check_stale() == []
    clock.advance(2)
    stale = source.check_stale()
    assert [(r.point, r.quality) for r in stale] == [
        ("mass", Quality.STALE),
        ("stable", Quality.STALE),
    ]
    assert source.check_stale() == []
    assert source.health.status == "failing"
    source.handle(b'{"data": {"mass": 1, "stable": true}}')
    assert source.health.status == "ok"


def test_table_correction_interpolates_and_extrapolates() -> None:
    book = CalibrationBook()
    book.load(
        [
            Calibration(
                id="tab-1",
                device="d",
                point="p",
                kind="table",
                table=[
                    CalibrationTablePoint(raw=100, corrected=100.4),
                    CalibrationTablePoint(raw=0, corrected=0.2),
                    CalibrationTablePoint(raw=50, corrected=50.0),
                ],
                valid_from_ms=1000,
                valid_to_ms=2000,
            ),
            Calibration(
                id="old",
                device="d",
                point="p",
                kind="offset_gain",
                offset=1.0,
                valid_from_ms=0,
                valid_to_ms=1000,
            ),
        ]
    )
    assert book.correct("d", "p", 1500, 25.0) == (pytest.approx(25.1), "tab-1")
    assert book.correct("d", "p", 1500, 75.0) == (pytest.approx(75.2), "tab-1")
    assert book.correct("d", "p", 1500, 150.0) == (pytest.approx(150.8), "tab-1")
    assert book.correct("d", "p", 1500, -10.0) == (pytest.approx(-9.76), "tab-1")
    assert book.correct("d", "p", 500, 10.0) == (11.0, "old")
    # Validity is half-open: at valid_to_ms the certificate no longer applies.
    assert book.correct("d", "p", 2000, 10.0) == (10.0, None)
    assert book.correct("d", "other", 1500, 10.0) == (10.0, None)


def test_unit_stated_in_the_message_is_converted_or_flagged() -> None:
    device = MqttDevice.model_validate(
        {
            "key": "thermo-1",
            "protocol": "mqtt",
            "topic": "lab/thermo-1",
            "points": [{"key": "t", "field": "v", "unit_field": "u", "source_unit": "degC"}],
        }
    )
    sink = RecordingSink()
    source = MqttDeviceSource(device, sink, FakeClock(), CalibrationBook())
    for payload in (
        '{"v": 20}',
        '{"v": 68, "u": "degF"}',
        '{"v": 293.15, "u": "kelvin"}',
        '{"v": 5, "u": "kg"}',
        '{"v": 5, "u": "parsecs-ish"}',
    ):
        source.handle(payload.encode())
    assert [(r.value and round(r.value, 6), r.quality) for r in sink.readings] == [
        (20.0, Quality.OK),
        (20.0, Quality.OK),
        (20.0, Quality.OK),
        (None, Quality.BAD_UNIT),
        (None, Quality.BAD_UNIT),
    ]
    assert {r.unit for r in sink.readings} == {"degC"}
