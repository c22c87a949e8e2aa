"""4-20 mA current loops at the gateway: scaling, NAMUR NE 43 limits and faults."""

from __future__ import annotations

import random
from typing import Any

import pytest

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import FakeClock
from edge_agent.decoding import encode_value
from edge_agent.fakes import FakeModbusDevice, RecordingSink
from edge_agent.poller import CircuitBreaker, DevicePoller
from edge_agent.units import loop_signal
from mqtt_contract.gateway_config import ConfigError, ModbusTcpDevice, parse_config
from mqtt_contract.v1 import QUALITY_CODES, Quality
from tests.harness.edge import doc

LOOP = {"range": [0, 150], "unit": "°C"}


def loop_point(**changes: Any) -> dict[str, Any]:
    # An analogue input module reporting the loop current in µA as an unsigned register.
    point = {
        "key": "oven",
        "register": "input",
        "address": 0,
        "type": "uint16",
        "source_unit": "µA",
        "loop": LOOP,
    }
    point.update(changes)
    return point


def poller_for(point: dict[str, Any], microamps: int) -> tuple[DevicePoller, FakeModbusDevice]:
    clock = FakeClock()
    fake = FakeModbusDevice({"input": {0: microamps}}, clock=clock, latency_s=0.01)
    device = ModbusTcpDevice.model_validate(
        {"key": "furnace-1", "protocol": "modbus_tcp", "host": "x", "points": [point]}
    )
    poller = DevicePoller(
        device,
        fake,
        RecordingSink(),
        clock,
        CalibrationBook(),
        CircuitBreaker(base_s=1.0, rng=random.Random(1)),
    )
    return poller, fake


@pytest.mark.parametrize(
    ("microamps", "value", "quality"),
    [
        (4000, 0.0, Quality.OK),
        (12000, 75.0, Quality.OK),
        (20000, 150.0, Quality.OK),
        # Inside NE 43's measuring band (3.8-20.5 mA): still a measurement, scaled linearly.
        (3900, -0.9375, Quality.OK),
        (20400, 153.75, Quality.OK),
        (3800, -1.875, Quality.OK),
        (20500, 154.6875, Quality.OK),
        # Beyond it but short of a fault: saturated to the value of the limit, flagged.
        (3700, -1.875, Quality.OUT_OF_RANGE),
        (20800, 154.6875, Quality.OUT_OF_RANGE),
        # Sensor or wiring faults: no value at all.
        (3600, None, Quality.LOOP_LOW_FAULT),
        (2000, None, Quality.LOOP_LOW_FAULT),
        (0, None, Quality.LOOP_LOW_FAULT),
        (21000, None, Quality.LOOP_HIGH_FAULT),
        (22500, None, Quality.LOOP_HIGH_FAULT),
    ],
)
async def test_loop_current_is_judged_by_ne43_and_scaled_onto_the_range(
    microamps: int, value: float | None, quality: Quality
) -> None:
    poller, _ = poller_for(loop_point(), microamps)
    [reading] = await poller.poll_once()
    assert reading.unit == "°C"
    assert reading.quality == quality
    if value is None:
        assert reading.value is None
    else:
        assert reading.value == pytest.approx(value)


async def test_a_loop_point_can_publish_in_another_unit_of_its_range() -> None:
    poller, _ = poller_for(loop_point(unit="K"), 12000)
    [reading] = await poller.poll_once()
    assert reading.unit == "K"
    assert reading.value == pytest.approx(348.15)


async def test_a_reversed_range_and_float_milliamperes() -> None:
    point = loop_point(type="float32", source_unit="mA", loop={"range": [100, 0], "unit": "%RH"})
    clock = FakeClock()
    registers = dict(enumerate(encode_value(8.0, "float32")))
    fake = FakeModbusDevice({"input": registers}, clock=clock, latency_s=0.01)
    device = ModbusTcpDevice.model_validate(
        {"key": "hygro", "protocol": "modbus_tcp", "host": "x", "points": [point]}
    )
    poller = DevicePoller(device, fake, RecordingSink(), clock, CalibrationBook())
    [reading] = await poller.poll_once()
    assert reading.value == pytest.approx(75.0)
    assert reading.quality == Quality.OK


async def test_thresholds_are_configurable_per_point() -> None:
    loop = {**LOOP, "low_fault_ma": 3.0, "low_limit_ma": 3.5}
    poller, _ = poller_for(loop_point(loop=loop), 3600)
    [reading] = await poller.poll_once()
    assert reading.quality == Quality.OK
    assert reading.value == pytest.approx(-3.75)


async def test_valid_limits_still_apply_to_a_healthy_loop() -> None:
    poller, _ = poller_for(loop_point(valid_max=100), 16000)
    [reading] = await poller.poll_once()
    assert reading.value == pytest.approx(112.5)
    assert reading.quality == Quality.OUT_OF_RANGE


def test_thresholds_at_the_exact_fault_currents() -> None:
    # 3600 µA * 0.001 is not exactly 3.6 in binary; float noise must not hide a fault.
    loop = loop_signal("mA", 0.001, 0.0, (0.0, 100.0), "percent", "percent")
    assert loop.read(3600) == (None, Quality.LOOP_LOW_FAULT)
    assert loop.read(21000) == (None, Quality.LOOP_HIGH_FAULT)
    assert loop.read(3800)[1] is None


def points_doc(point: dict[str, Any]) -> dict[str, Any]:
    document = doc()
    document["devices"][0]["points"] = [point]
    return document


def config_issues(point: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(points_doc(point))
    return [str(i) for i in caught.value.issues]


def test_loop_point_defaults_to_milliamperes_and_the_range_unit() -> None:
    point = {k: v for k, v in loop_point().items() if k != "source_unit"}
    config = parse_config(points_doc(point))
    parsed = config.devices[0].points[0]
    assert parsed.source_unit == "mA"
    assert parsed.target_unit == "°C"
    assert parsed.loop is not None
    assert (parsed.loop.low_fault_ma, parsed.loop.low_limit_ma) == (3.6, 3.8)
    assert (parsed.loop.high_limit_ma, parsed.loop.high_fault_ma) == (20.5, 21.0)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"source_unit": "V"}, "devices[0].points[0].loop: a loop point reads a current"),
        ({"unit": "kg"}, "devices[0].points[0].unit: 'kg' is not compatible with source unit '°C'"),
        ({"loop": {"range": [5, 5], "unit": "°C"}}, "devices[0].points[0].loop.range:"),
        ({"loop": {"range": [0, 1], "unit": "furlongz"}}, "devices[0].points[0].loop.unit:"),
        (
            {"loop": {**LOOP, "low_fault_ma": 3.9, "low_limit_ma": 3.8}},
            "devices[0].points[0].loop: loop thresholds must satisfy",
        ),
        (
            {"loop": {**LOOP, "high_limit_ma": 19.0}},
            "devices[0].points[0].loop: loop thresholds must satisfy",
        ),
    ],
)
def test_bad_loop_configuration_is_named_by_path(changes: dict[str, Any], expected: str) -> None:
    [issue] = config_issues(loop_point(**changes))
    assert issue.startswith(expected), issue


def test_loop_scaling_is_refused_on_mqtt_points() -> None:
    document = doc(
        devices=[
            {
                "key": "pushed",
                "protocol": "mqtt",
                "topic": "lab/x",
                "points": [{"key": "t", "field": "t", "loop": LOOP}],
            }
        ]
    )
    with pytest.raises(ConfigError, match="loop scaling applies to Modbus points"):
        parse_config(document)


def test_loop_fault_qualities_extend_the_stored_codes_without_renumbering() -> None:
    assert [QUALITY_CODES[q] for q in (Quality.OK, Quality.STALE, Quality.COMM_FAIL)] == [0, 1, 2]
    assert QUALITY_CODES[Quality.OUT_OF_RANGE] == 3
    assert QUALITY_CODES[Quality.BAD_UNIT] == 4
    assert QUALITY_CODES[Quality.LOOP_LOW_FAULT] == 5
    assert QUALITY_CODES[Quality.LOOP_HIGH_FAULT] == 6
