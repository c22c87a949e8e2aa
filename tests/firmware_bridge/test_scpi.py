"""SCPI client against the multimeter simulator, and the bridge polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from firmware_bridge.adapters.clients import ScpiClient, ScpiQueryError
from firmware_bridge.adapters.transport import TcpLineStream
from firmware_bridge.bridge import Bridge
from firmware_bridge.codecs import scpi
from firmware_bridge.config import parse_config
from firmware_bridge.faults import Fault
from firmware_bridge.simulators.scpi import ScpiSimulator, header_matches
from mqtt_contract.v1 import Quality
from tests.firmware_bridge.conftest import RecordingSink, eventually


@pytest.fixture
async def client(multimeter: ScpiSimulator) -> AsyncIterator[ScpiClient]:
    stream = await TcpLineStream.open("127.0.0.1", multimeter.port or 0, scpi.TERMINATOR)
    yield ScpiClient(stream, timeout_s=0.3)
    await stream.close()


@pytest.mark.parametrize(
    ("pattern", "header", "matches"),
    [
        ("MEASure:VOLTage[:DC]?", "MEAS:VOLT:DC?", True),
        ("MEASure:VOLTage[:DC]?", "measure:voltage?", True),
        ("MEASure:VOLTage[:DC]?", "MEAS:VOLTA?", False),
        ("MEASure:TEMPerature?", "MEAS:TEMP", False),
        ("SYSTem:ERRor[:NEXT]?", "SYST:ERR:NEXT?", True),
    ],
)
def test_short_and_long_header_forms(pattern: str, header: str, matches: bool) -> None:
    assert header_matches(pattern, header) is matches


async def test_identity_and_measurements(client: ScpiClient) -> None:
    identity = await client.identify()
    assert identity.model == "34465A"
    assert identity.serial_number == "MY59012345"
    volts = await client.measure("MEAS:VOLT:DC?")
    assert volts.kind is scpi.NumberKind.NR3
    assert volts.value == pytest.approx(1.2345, abs=0.001)
    temperature = await client.measure("MEASure:TEMPerature?")
    assert temperature.value == pytest.approx(23.5, abs=0.1)


async def test_error_queue_reports_undefined_header_in_order(client: ScpiClient) -> None:
    assert await client.read_errors() == []
    await client.send("MEAS:FREQ:BOGUS?")
    await client.send("NOPE")
    errors = await client.read_errors()
    assert errors == [scpi.ScpiError(-113, "Undefined header")] * 2
    assert await client.read_errors() == []


async def test_unanswered_query_explains_itself_from_the_error_queue(client: ScpiClient) -> None:
    with pytest.raises(ScpiQueryError, match="-113") as info:
        await client.measure("MEAS:CAPACITANCE?")
    assert info.value.errors[0].message == "Undefined header"


async def test_overflow_reading(multimeter: ScpiSimulator, client: ScpiClient) -> None:
    multimeter.inject(Fault.OVERLOAD)
    number = await client.measure("MEAS:VOLT:DC?")
    assert number.overflow


async def test_bridge_polls_multimeter_and_marks_bad_query(
    multimeter: ScpiSimulator, sink: RecordingSink
) -> None:
    config = parse_config(
        {
            "modbus": {"port": 0},
            "instruments": [
                {
                    "key": "dmm-1",
                    "protocol": "scpi",
                    "transport": {"kind": "tcp", "host": "127.0.0.1", "port": multimeter.port},
                    "poll_interval_s": 0.05,
                    "reply_timeout_s": 0.3,
                    "points": [
                        {
                            "key": "voltage",
                            "query": "MEAS:VOLT:DC?",
                            "unit": "V",
                            "register_address": 0,
                        },
                        {
                            "key": "temperature",
                            "query": "MEAS:TEMP?",
                            "unit": "degC",
                            "register_address": 5,
                        },
                        {"key": "typo", "query": "MEAS:VOTL?", "unit": "V", "register_address": 10},
                    ],
                }
            ],
        }
    )
    bridge = Bridge(config, extra_sinks=[sink])
    await bridge.start()
    try:
        await eventually(
            lambda: {r.point for r in sink.readings} >= {"voltage", "temperature", "typo"}
        )
        multimeter.inject(Fault.OVERLOAD)
        await eventually(
            lambda: any(
                r.point == "voltage" and r.quality is Quality.OUT_OF_RANGE for r in sink.readings
            )
        )
    finally:
        await bridge.stop()
    by_point = {r.point: r for r in sink.readings if r.quality is Quality.OK}
    assert by_point["voltage"].value == pytest.approx(1.2345, abs=0.001)
    assert by_point["temperature"].unit == "degC"
    typo = [r for r in sink.readings if r.point == "typo"]
    assert typo
    assert all(r.quality is Quality.COMM_FAIL for r in typo)
    assert "Undefined header" in (typo[0].detail or "")
