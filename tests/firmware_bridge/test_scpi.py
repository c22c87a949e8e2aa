"""SCPI client against the multimeter simulator, and the bridge polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from firmware_bridge.adapters.clients import ScpiClient, ScpiCommandError, ScpiQueryError
from firmware_bridge.adapters.transport import TcpLineStream
from firmware_bridge.bridge import Bridge
from firmware_bridge.codecs import scpi
from firmware_bridge.config import parse_config
from firmware_bridge.faults import Fault
from firmware_bridge.simulators.scpi import ERROR_QUEUE_DEPTH, ScpiSimulator, header_matches
from mqtt_contract.v1 import Quality
from tests.harness.bridge import RecordingSink, eventually


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


# --- IEEE 488.2 common commands and status reporting, over the socket ---------------------------


async def ask(client: ScpiClient, line: str) -> bytes:
    return await client.query(line)


async def test_power_on_bit_then_esr_clears_on_reading(client: ScpiClient) -> None:
    assert await client.event_status() == scpi.EventStatus.PON
    assert await client.event_status() == 0


async def test_enable_registers_read_back(client: ScpiClient) -> None:
    await client.command("*ESE 36")
    assert await ask(client, "*ESE?") == b"36"
    await client.command("*SRE 255")
    # Bit 6 of the service request enable register cannot be set.
    assert await ask(client, "*SRE?") == b"191"


async def test_unknown_command_sets_cme_eav_esb_and_mss(client: ScpiClient) -> None:
    await client.event_status()  # clear the power-on bit
    await client.command("*ESE 32")  # command errors summarise into ESB
    await client.command("*SRE 32")  # ESB requests service
    assert await client.status_byte() == 0
    await client.send("VOLT:BOGUS")
    stb = await client.status_byte()
    assert stb == scpi.StatusByte.EAV | scpi.StatusByte.ESB | scpi.StatusByte.MSS
    assert await client.event_status() == scpi.EventStatus.CME
    # ESR read (ESB gone), but the error is still queued (EAV stays until it is read).
    assert await client.status_byte() == scpi.StatusByte.EAV
    assert await ask(client, "SYST:ERR?") == b'-113,"Undefined header"'
    assert await ask(client, "SYSTem:ERRor:NEXT?") == b'0,"No error"'
    assert await client.status_byte() == 0


async def test_message_available_bit_while_a_reply_is_queued(client: ScpiClient) -> None:
    fields = (await ask(client, "MEAS:VOLT:DC?;*STB?")).split(b";")
    assert int(fields[1]) & scpi.StatusByte.MAV
    assert not await client.status_byte() & scpi.StatusByte.MAV


async def test_opc_sets_bit_zero_and_opc_query_answers_one(client: ScpiClient) -> None:
    await client.event_status()
    await client.command("*OPC")
    assert await client.event_status() == scpi.EventStatus.OPC
    assert await ask(client, "*OPC?") == b"1"
    await client.command("*WAI")  # nothing overlapped: returns at once, no error
    assert await ask(client, "*TST?") == b"0"


async def test_rst_keeps_and_cls_clears_the_status_data(client: ScpiClient) -> None:
    await client.command("*ESE 32")
    await client.send("NOPE")
    await client.send("*RST")
    assert await ask(client, "*ESE?") == b"32"
    assert await client.status_byte() & scpi.StatusByte.EAV
    await client.send("*CLS")
    assert await client.status_byte() == 0
    assert await client.event_status() == 0
    assert await ask(client, "*ESE?") == b"32"  # *CLS leaves the enable registers alone
    assert await client.read_errors() == []


async def test_query_after_an_indefinite_response_is_a_query_error(client: ScpiClient) -> None:
    await client.event_status()
    reply = await ask(client, "*IDN?;*OPC?")
    assert reply.startswith(b"Keysight Technologies,34465A")
    assert b";" not in reply
    assert await client.event_status() == scpi.EventStatus.QYE
    assert await client.read_errors() == [
        scpi.ScpiError(-440, "Query UNTERMINATED after indefinite response")
    ]


@pytest.mark.parametrize(
    ("command", "error", "bit"),
    [
        ("*ESE", scpi.ScpiError(-109, "Missing parameter"), scpi.EventStatus.CME),
        ("*ESE abc", scpi.ScpiError(-104, "Data type error"), scpi.EventStatus.CME),
        ("*CLS 1", scpi.ScpiError(-108, "Parameter not allowed"), scpi.EventStatus.CME),
        ("*SRE 300", scpi.ScpiError(-222, "Data out of range"), scpi.EventStatus.EXE),
    ],
)
async def test_bad_parameters_are_refused_with_their_error(
    client: ScpiClient, command: str, error: scpi.ScpiError, bit: scpi.EventStatus
) -> None:
    await client.event_status()
    with pytest.raises(ScpiCommandError) as info:
        await client.command(command)
    assert info.value.errors == [error]
    assert str(error) in str(info.value)
    assert await client.event_status() == bit


async def test_error_queue_overflow(multimeter: ScpiSimulator, client: ScpiClient) -> None:
    await client.send(";".join(["NOPE"] * 25))
    errors = await client.read_errors(limit=40)
    assert len(errors) == ERROR_QUEUE_DEPTH
    assert errors[:-1] == [scpi.ScpiError(-113, "Undefined header")] * (ERROR_QUEUE_DEPTH - 1)
    assert errors[-1] == scpi.ScpiError(-350, "Queue overflow")
    assert await ask(client, "SYST:ERR?") == b'0,"No error"'
    # The lost errors still set their event-status bit.
    assert await client.event_status() & scpi.EventStatus.CME


async def test_garbled_reply_reads_the_error_queue(
    multimeter: ScpiSimulator, client: ScpiClient
) -> None:
    await client.send("NOPE")  # leaves -113 queued
    assert await client.status_byte() & scpi.StatusByte.EAV  # and has been processed
    multimeter.inject(Fault.GARBAGE)
    with pytest.raises(ScpiQueryError, match="unusable reply") as info:
        await client.measure("MEAS:VOLT?")
    assert info.value.errors == [scpi.ScpiError(-113, "Undefined header")]
