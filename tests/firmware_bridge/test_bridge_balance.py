"""The bridge polling the MT-SICS balance simulator over TCP and exposing Modbus registers."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymodbus.client import AsyncModbusTcpClient

from firmware_bridge.adapters.poller import InstrumentPoller
from firmware_bridge.bridge import Bridge
from firmware_bridge.config import BridgeConfig, parse_config
from firmware_bridge.exposure.modbus import decode_point_registers
from firmware_bridge.faults import Fault
from firmware_bridge.simulators.balance import BalanceModel, BalanceSimulator
from mqtt_contract.v1 import Quality
from tests.harness.bridge import RecordingSink, eventually


def balance_config(port: int, poll_interval_s: float = 0.05) -> BridgeConfig:
    return parse_config(
        {
            "modbus": {"host": "127.0.0.1", "port": 0, "device_id": 1},
            "instruments": [
                {
                    "key": "balance-1",
                    "protocol": "mt_sics",
                    "transport": {"kind": "tcp", "host": "127.0.0.1", "port": port},
                    "poll_interval_s": poll_interval_s,
                    "reply_timeout_s": 0.5,
                    "points": [
                        {"key": "weight", "query": "SI", "unit": "g", "register_address": 10}
                    ],
                }
            ],
        }
    )


@pytest.fixture
async def bridge(balance: BalanceSimulator, sink: RecordingSink) -> AsyncIterator[Bridge]:
    assert balance.port is not None
    running = Bridge(balance_config(balance.port), extra_sinks=[sink])
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def modbus_client(bridge: Bridge) -> AsyncIterator[AsyncModbusTcpClient]:
    assert bridge.modbus is not None
    client = AsyncModbusTcpClient("127.0.0.1", port=bridge.modbus.port or 0, timeout=1, retries=0)
    assert await client.connect()
    yield client
    client.close()


async def read_point(client: AsyncModbusTcpClient) -> tuple[float, Quality, int, bool]:
    response = await client.read_holding_registers(10, count=5, device_id=1)
    assert not response.isError(), response
    return decode_point_registers(response.registers)


async def test_weight_appears_in_modbus_registers(
    balance: BalanceSimulator, sink: RecordingSink, modbus_client: AsyncModbusTcpClient
) -> None:
    balance.model.place(12.3456)
    await eventually(
        lambda: any(r.value == pytest.approx(12.3456) for r in sink.readings), message="12.3456 g"
    )
    value, quality, count, stable = await read_point(modbus_client)
    assert value == pytest.approx(12.3456, abs=1e-4)
    assert quality is Quality.OK
    assert stable is True
    assert count >= 1

    await eventually(lambda: len(sink.readings) > count + 3)
    _, _, later_count, _ = await read_point(modbus_client)
    assert later_count > count


async def test_overload_is_marked_out_of_range_not_a_number(
    balance: BalanceSimulator, sink: RecordingSink, modbus_client: AsyncModbusTcpClient
) -> None:
    balance.model.place(500.0)  # capacity is 220 g
    await eventually(
        lambda: bool(sink.readings) and sink.readings[-1].quality is Quality.OUT_OF_RANGE
    )
    value, quality, _, _ = await read_point(modbus_client)
    assert math.isnan(value)
    assert quality is Quality.OUT_OF_RANGE


async def test_survives_dropped_connection(
    balance: BalanceSimulator,
    bridge: Bridge,
    sink: RecordingSink,
    modbus_client: AsyncModbusTcpClient,
) -> None:
    balance.model.place(5.0)
    await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings))
    poller = bridge.pollers[0]
    connections_before = poller.reconnects

    balance.inject(Fault.DROP)
    await eventually(
        lambda: any(r.quality is Quality.COMM_FAIL for r in sink.readings), message="comm_fail"
    )
    failed_at = len(sink.readings)
    balance.model.place(7.5)
    await eventually(
        lambda: any(r.value == pytest.approx(7.5) for r in sink.readings[failed_at:]),
        message="reading after reconnect",
    )
    assert poller.reconnects > connections_before
    value, quality, _, _ = await read_point(modbus_client)
    assert value == pytest.approx(7.5)
    assert quality is Quality.OK


@pytest.mark.usefixtures("bridge")
async def test_garbage_frame_marks_quality_and_polling_continues(
    balance: BalanceSimulator, sink: RecordingSink
) -> None:
    balance.model.place(1.25)
    await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings))
    balance.inject(Fault.GARBAGE)
    await eventually(
        lambda: any("not ASCII" in (r.detail or "") for r in sink.readings), message="garbage seen"
    )
    garbage_at = next(i for i, r in enumerate(sink.readings) if r.quality is Quality.COMM_FAIL)
    await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings[garbage_at:]))
    assert sink.readings[garbage_at].value is None


async def test_unreachable_balance_reports_comm_fail(sink: RecordingSink) -> None:
    # Nothing listens on this port once the simulator has gone.
    gone = BalanceSimulator()
    port = await gone.start()
    await gone.stop()
    running = Bridge(balance_config(port), extra_sinks=[sink])
    await running.start()
    try:
        await eventually(lambda: len(sink.readings) >= 2)
    finally:
        await running.stop()
    assert all(r.quality is Quality.COMM_FAIL for r in sink.readings)
    assert f"ConnectionRefusedError while connecting to 127.0.0.1:{port}" in (
        sink.readings[0].detail or ""
    )


@pytest.mark.usefixtures("bridge")
async def test_slow_reply_times_out_then_recovers(
    balance: BalanceSimulator, sink: RecordingSink
) -> None:
    balance.model.place(3.0)
    await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings))
    balance.faults.slow_reply_s = 1.0  # reply_timeout_s is 0.5
    balance.inject(Fault.SLOW)
    await eventually(lambda: sink.readings[-1].quality is Quality.COMM_FAIL, message="timeout")
    balance.clear(Fault.SLOW)
    recovered_from = len(sink.readings)
    await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings[recovered_from:]))


async def test_serial_transport_reads_balance(
    balance: BalanceSimulator, sink: RecordingSink
) -> None:
    # pyserial's socket:// URL drives the same code path as /dev/ttyUSB0 without hardware.
    config = parse_config(
        {
            "modbus": {"port": 0},
            "instruments": [
                {
                    "key": "balance-serial",
                    "protocol": "mt_sics",
                    "transport": {"kind": "serial", "url": f"socket://127.0.0.1:{balance.port}"},
                    "poll_interval_s": 0.05,
                    "points": [{"key": "weight", "query": "S", "unit": "g", "register_address": 0}],
                }
            ],
        }
    )
    balance.model.place(0.5)
    running = Bridge(config, extra_sinks=[sink])
    await running.start()
    try:
        await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings))
    finally:
        await running.stop()
    good = next(r for r in sink.readings if r.quality is Quality.OK)
    assert good.value == pytest.approx(0.5)
    assert good.stable is True


async def test_a_serial_port_that_cannot_be_opened_names_the_port_and_the_cause(
    sink: RecordingSink, tmp_path: Path
) -> None:
    missing = tmp_path / "ttyUSB9"
    config = parse_config(
        {
            "modbus": {"port": 0},
            "instruments": [
                {
                    "key": "balance-serial",
                    "protocol": "mt_sics",
                    "transport": {"kind": "serial", "url": str(missing)},
                    "poll_interval_s": 0.05,
                    "points": [{"key": "weight", "query": "S", "unit": "g", "register_address": 0}],
                }
            ],
        }
    )
    running = Bridge(config, extra_sinks=[sink])
    await running.start()
    try:
        await eventually(lambda: len(sink.readings) >= 1)
    finally:
        await running.stop()
    detail = sink.readings[0].detail or ""
    assert sink.readings[0].quality is Quality.COMM_FAIL
    assert detail.startswith(
        f"ConnectionRefusedError while connecting to {missing}: cannot open serial port {missing}"
    ), detail
    assert "(caused by SerialException: " in detail, detail
    assert not detail.rstrip().endswith(":")


@pytest.mark.usefixtures("bridge")
async def test_wrong_unit_is_flagged(balance: BalanceSimulator, sink: RecordingSink) -> None:
    balance.model.unit = "mg"
    await eventually(lambda: bool(sink.readings) and sink.readings[-1].quality is Quality.BAD_UNIT)
    assert sink.readings[-1].value is None
    assert "mg" in (sink.readings[-1].detail or "")


# --- every MT-SICS status becomes a quality with a reason ---------------------------------------


class ScriptedStream:
    """Unit-test stand-in for a link: answers each request with the next scripted line."""

    def __init__(self, *replies: bytes) -> None:
        self.replies = list(replies)
        self.sent: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.sent.append(data)

    async def read_line(self, wait_s: float) -> bytes:
        return self.replies.pop(0)

    def discard_input(self) -> None:
        pass

    async def close(self) -> None:
        pass


def stable_point_config(port: int = 4001) -> BridgeConfig:
    config = balance_config(port).model_dump()
    config["instruments"][0]["points"][0]["query"] = "S"
    return parse_config(config)


@pytest.mark.parametrize(
    ("line", "quality", "reason"),
    [
        (b"S S     1.2500 g", Quality.OK, None),
        (b"S +", Quality.OUT_OF_RANGE, "overload (+)"),
        (b"S -", Quality.OUT_OF_RANGE, "underload (-)"),
        (b"S I", Quality.STALE, "not executable (I)"),
        (b"S L", Quality.COMM_FAIL, "logical error (L)"),
        (b"ES", Quality.COMM_FAIL, "syntax error (ES)"),
        (b"ET", Quality.COMM_FAIL, "transmission error (ET)"),
        (b"EL", Quality.COMM_FAIL, "logical error (EL)"),
        (b'I4 A "B944012345"', Quality.COMM_FAIL, "carries ID 'I4', expected 'S'"),
        (b"S S  \xff", Quality.COMM_FAIL, "FrameError while reading weight (S)"),
    ],
)
async def test_each_balance_status_maps_to_a_quality_and_reason(
    line: bytes, quality: Quality, reason: str | None, sink: RecordingSink
) -> None:
    poller = InstrumentPoller(stable_point_config().instruments[0], [sink])
    (reading,) = await poller.poll_once(ScriptedStream(line))
    assert reading.quality is quality
    if reason is None:
        assert reading.value == pytest.approx(1.25)
        assert reading.stable is True
    else:
        assert reading.value is None
        assert reason in (reading.detail or "")
    assert sink.readings == [reading]


async def test_unstable_balance_is_stale_then_stable_over_the_bridge(
    sink: RecordingSink,
) -> None:
    simulator = BalanceSimulator(
        model=BalanceModel(settle_s=3600.0, noise_g=0.0), stable_timeout_s=0.2
    )
    port = await simulator.start()
    simulator.model.place(42.0)  # still swinging for an hour
    running = Bridge(stable_point_config(port), extra_sinks=[sink])
    await running.start()
    try:
        await eventually(lambda: any(r.quality is Quality.STALE for r in sink.readings))
        assert not any(r.quality is Quality.OK for r in sink.readings)  # never an "S D" value
        simulator.model.settle_s = 0.0
        simulator.model.place(42.0)
        await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings))
    finally:
        await running.stop()
        await simulator.stop()
    stale = next(r for r in sink.readings if r.quality is Quality.STALE)
    assert "did not become stable" in (stale.detail or "")
    good = next(r for r in sink.readings if r.quality is Quality.OK)
    assert good.stable is True
    assert good.value == pytest.approx(42.0)


@pytest.mark.usefixtures("bridge")
async def test_balance_fault_state_and_underload_keep_the_link(
    balance: BalanceSimulator, bridge: Bridge, sink: RecordingSink
) -> None:
    await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings))
    connections = bridge.pollers[0].reconnects
    balance.inject(Fault.DEVICE_FAULT)
    await eventually(lambda: "logical error (EL)" in (sink.readings[-1].detail or ""))
    assert sink.readings[-1].quality is Quality.COMM_FAIL
    balance.clear(Fault.DEVICE_FAULT)
    balance.model.place(-50.0)  # pan lifted off
    await eventually(lambda: "underload (-)" in (sink.readings[-1].detail or ""))
    assert sink.readings[-1].quality is Quality.OUT_OF_RANGE
    assert bridge.pollers[0].reconnects == connections


# --- errors always say what happened -----------------------------------------------------------


@pytest.mark.usefixtures("bridge")
async def test_link_errors_name_the_exception_and_operation(
    balance: BalanceSimulator, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="firmware_bridge")
    balance.model.place(3.0)
    await eventually(lambda: any(r.quality is Quality.OK for r in sink.readings))
    balance.faults.slow_reply_s = 1.0  # reply_timeout_s is 0.5
    balance.inject(Fault.SLOW)
    await eventually(lambda: sink.readings[-1].quality is Quality.COMM_FAIL, message="timeout")
    balance.clear(Fault.SLOW)
    await eventually(lambda: sink.readings[-1].quality is Quality.OK, message="recovered")
    balance.inject(Fault.DROP)
    await eventually(
        lambda: any("ConnectionResetError" in (r.detail or "") for r in sink.readings),
        message="drop seen",
    )

    timeout = f"TimeoutError while reading weight (SI) from 127.0.0.1:{balance.port}"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(timeout in message for message in errors), errors
    assert any(
        f"ConnectionResetError while reading weight (SI) from 127.0.0.1:{balance.port}" in m
        for m in errors
    ), errors
    assert any(timeout in (r.detail or "") for r in sink.readings)
    for record in caplog.records:
        message = record.getMessage().rstrip()
        assert message
        assert not message.endswith(":"), f"empty reason in {message!r}"
    for reading in sink.readings:
        if reading.quality is not Quality.OK:
            detail = (reading.detail or "").rstrip()
            assert detail
            assert not detail.endswith(":"), f"empty reason in {detail!r}"
