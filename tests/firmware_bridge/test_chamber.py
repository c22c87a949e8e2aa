"""The Modbus temperature chamber simulator, read and written with a real pymodbus client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pymodbus.client import AsyncModbusTcpClient

from firmware_bridge.faults import Fault
from firmware_bridge.simulators.chamber import (
    ChamberModel,
    ChamberSimulator,
    ChamberStatus,
    Register,
    float32_words,
    words_float32,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_temperature_follows_setpoint_with_first_order_lag() -> None:
    model = ChamberModel(time_constant_s=60.0, setpoint_degc=85.0, run_enabled=True)
    model.advance(60.0)
    # One time constant covers 63.2 % of the step from 25 to 85 degC.
    assert model.temperature_degc == pytest.approx(25.0 + 0.632 * 60.0, abs=0.1)
    model.advance(600.0)
    assert model.temperature_degc == pytest.approx(85.0, abs=0.01)


def test_idle_chamber_drifts_back_to_ambient_and_draws_no_power() -> None:
    model = ChamberModel(temperature_degc=60.0, run_enabled=False)
    assert model.status is ChamberStatus.IDLE
    assert model.power_w == 0
    model.advance(model.passive_time_constant_s * 10)
    assert model.temperature_degc == pytest.approx(model.ambient_degc, abs=0.01)


def test_fan_speed_in_rpm_and_the_probe_loop_current_in_microamperes() -> None:
    running = ChamberModel(temperature_degc=55.0, run_enabled=True)
    image = running.registers()
    assert image[Register.FAN_SPEED] == 1500
    # -70 degC is 4 mA, 180 degC is 20 mA: 55 degC is 4 + 16 * 125 / 250 = 12 mA.
    assert image[Register.PROBE_LOOP] == 12000
    assert ChamberModel(run_enabled=False).registers()[Register.FAN_SPEED] == 600
    off = ChamberModel(powered=False).registers()
    assert (off[Register.FAN_SPEED], off[Register.PROBE_LOOP]) == (0, 0)  # an unpowered loop


def test_power_grows_with_distance_of_setpoint_from_ambient() -> None:
    near = ChamberModel(setpoint_degc=30.0, run_enabled=True).power_w
    far = ChamberModel(setpoint_degc=-40.0, run_enabled=True).power_w
    assert 0 < near < far


@pytest.fixture
async def chamber() -> AsyncIterator[tuple[ChamberSimulator, FakeClock]]:
    clock = FakeClock()
    simulator = ChamberSimulator(port=0, clock=clock)
    await simulator.start()
    yield simulator, clock
    await simulator.stop()


@pytest.fixture
async def client(
    chamber: tuple[ChamberSimulator, FakeClock],
) -> AsyncIterator[AsyncModbusTcpClient]:
    simulator, _ = chamber
    modbus = AsyncModbusTcpClient("127.0.0.1", port=simulator.port or 0, timeout=1, retries=0)
    assert await modbus.connect()
    yield modbus
    modbus.close()


async def test_register_map_over_modbus_tcp(
    chamber: tuple[ChamberSimulator, FakeClock], client: AsyncModbusTcpClient
) -> None:
    _, clock = chamber
    response = await client.read_holding_registers(0, count=9, device_id=1)
    assert not response.isError()
    registers = response.registers
    assert words_float32(*registers[0:2]) == pytest.approx(25.0)
    assert registers[7] == ChamberStatus.IDLE
    assert registers[8] == 0

    written = await client.write_registers(2, list(float32_words(70.0)), device_id=1)
    assert not written.isError()
    assert not (await client.write_register(8, 1, device_id=1)).isError()
    clock.now += 90.0

    registers = (await client.read_holding_registers(0, count=9, device_id=1)).registers
    temperature = words_float32(*registers[0:2])
    assert words_float32(*registers[2:4]) == pytest.approx(70.0)
    assert 45.0 < temperature < 70.0
    assert registers[6] > 0
    assert registers[7] == ChamberStatus.RUNNING
    assert 5.0 <= words_float32(*registers[4:6]) <= 98.0


async def test_read_only_and_out_of_range_writes_are_refused(client: AsyncModbusTcpClient) -> None:
    read_only = await client.write_register(0, 1, device_id=1)
    assert read_only.isError()
    assert read_only.exception_code == 2  # ILLEGAL_ADDRESS
    bad_run_flag = await client.write_register(8, 7, device_id=1)
    assert bad_run_flag.exception_code == 3  # ILLEGAL_VALUE
    too_hot = await client.write_registers(2, list(float32_words(999.0)), device_id=1)
    assert too_hot.exception_code == 3
    registers = (await client.read_holding_registers(2, count=2, device_id=1)).registers
    assert words_float32(*registers) == pytest.approx(25.0)


async def test_fault_status_and_slow_reply(
    chamber: tuple[ChamberSimulator, FakeClock], client: AsyncModbusTcpClient
) -> None:
    simulator, _ = chamber
    simulator.inject(Fault.DEVICE_FAULT)
    registers = (await client.read_holding_registers(0, count=9, device_id=1)).registers
    assert registers[7] == ChamberStatus.FAULT
    assert registers[6] == 0

    simulator.faults.slow_reply_s = 0.3
    simulator.inject(Fault.SLOW)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.read_holding_registers(7, count=1, device_id=1)
    assert loop.time() - started >= 0.3


async def test_dropped_connection_then_reconnect(
    chamber: tuple[ChamberSimulator, FakeClock],
) -> None:
    simulator, _ = chamber
    first = AsyncModbusTcpClient(
        "127.0.0.1", port=simulator.port or 0, timeout=1, retries=0, reconnect_delay=0
    )
    assert await first.connect()
    simulator.inject(Fault.DROP)
    await asyncio.sleep(0.1)
    assert not first.connected
    first.close()

    second = AsyncModbusTcpClient("127.0.0.1", port=simulator.port or 0, timeout=1, retries=0)
    assert await second.connect()
    assert not (await second.read_holding_registers(7, count=1, device_id=1)).isError()
    second.close()
