from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from typing import Any

import pytest

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import GRID_SLOTS, FakeClock, SystemClock, grid_phase, next_tick
from edge_agent.decoding import encode_value
from edge_agent.fakes import FakeModbusDevice, RecordingSink
from edge_agent.poller import CircuitBreaker, DevicePoller, run_forever
from mqtt_contract.gateway_config import ModbusTcpDevice
from mqtt_contract.v1 import Calibration, CalibrationSet, Quality


def device(points: list[dict[str, object]], **kw: object) -> ModbusTcpDevice:
    return ModbusTcpDevice.model_validate(
        {"key": "chamber-1", "protocol": "modbus_tcp", "host": "x", "points": points, **kw}
    )


CHAMBER_POINTS: list[dict[str, object]] = [
    {
        "key": "temperature",
        "register": "holding",
        "address": 0,
        "type": "float32",
        "source_unit": "degC",
    },
    {
        "key": "power",
        "register": "holding",
        "address": 6,
        "type": "uint16",
        "source_unit": "W",
        "unit": "kW",
    },
]


def chamber_registers(temperature: float = 21.5, power: int = 1500) -> dict[int, int | bool]:
    regs = encode_value(temperature, "float32") + [0] * 4 + [power]
    return dict(enumerate(regs))


def make(
    points: list[dict[str, object]] | None = None, latency_s: float = 0.01, **kw: object
) -> tuple[DevicePoller, FakeModbusDevice, RecordingSink, FakeClock]:
    clock = FakeClock()
    fake = FakeModbusDevice({"holding": chamber_registers()}, clock=clock, latency_s=latency_s)
    sink = RecordingSink()
    poller = DevicePoller(
        device(points or CHAMBER_POINTS, **kw),
        fake,
        sink,
        clock,
        CalibrationBook(),
        CircuitBreaker(base_s=1.0, max_s=8.0, rng=random.Random(7)),
    )
    return poller, fake, sink, clock


async def run_for(poller: DevicePoller, clock: FakeClock, seconds: float) -> None:
    end = clock.now + seconds
    task = asyncio.create_task(poller.run())
    while clock.now < end:  # noqa: ASYNC110 - virtual time advances only while the poller runs
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_one_read_per_poll_with_converted_values_and_read_timestamp() -> None:
    poller, fake, _sink, clock = make(latency_s=0.02)
    readings = await poller.poll_once()
    assert fake.requests == [("holding", 0, 7)]
    by_point = {r.point: r for r in readings}
    assert by_point["temperature"].value == 21.5
    assert by_point["power"].value == pytest.approx(1.5)
    assert by_point["power"].unit == "kW"
    assert by_point["temperature"].latency_ms == pytest.approx(20.0)
    # Timestamp at the middle of the round trip, not when the value was converted.
    assert by_point["temperature"].ts_ms == clock.wall_ms() - 10
    assert all(r.quality is Quality.OK for r in readings)


async def test_schedule_stays_on_grid_and_skips_missed_ticks() -> None:
    poller, _fake, sink, clock = make(latency_s=0.3, poll_interval_s=1.0)
    start_wall = clock.wall_ms()  # a whole second: the grid's ticks fall at phase + k s
    await run_for(poller, clock, 5.5)
    starts = sorted({r.ts_ms - 150 - start_wall for r in sink.readings})
    phase_ms = poller.phase_s * 1000
    ticks = [phase_ms + 1000 * k for k in range(6) if phase_ms + 1000 * k < 5500]
    assert starts == pytest.approx(ticks, abs=1)
    assert poller.missed_ticks == 0

    slow, _, slow_sink, slow_clock = make(latency_s=2.5, poll_interval_s=1.0)
    wall0 = slow_clock.wall_ms()
    await run_for(slow, slow_clock, 9.5)
    slow_starts = sorted({r.ts_ms - 1250 - wall0 for r in slow_sink.readings})
    phase_ms = slow.phase_s * 1000
    slow_ticks = [phase_ms + 3000 * k for k in range(4) if phase_ms + 3000 * k < 9500]
    assert slow_starts == pytest.approx(slow_ticks, abs=1)
    # Each 2.5 s poll overruns two 1 s ticks, which are skipped rather than fired late.
    assert slow.missed_ticks == 2 * slow.health.polls


async def test_devices_on_one_interval_poll_at_their_own_phases_without_drift() -> None:
    interval_ms = 100
    starts: dict[str, list[int]] = {}
    phases: dict[str, float] = {}
    for key in ("chamber-1", "chamber-3"):
        poller, _fake, sink, clock = make(
            latency_s=0.004, poll_interval_s=interval_ms / 1000, key=key
        )
        wall0 = clock.wall_ms()  # the same instant for both devices
        await run_for(poller, clock, 600)
        starts[key] = sorted({r.ts_ms - 2 - wall0 for r in sink.readings})
        phases[key] = poller.phase_s * 1000
        assert 0 <= phases[key] < interval_ms
        # Every poll on its own tick, none skipped, the ten-minute mark as exact as the first.
        assert len(starts[key]) == pytest.approx(600_000 / interval_ms, abs=1)
        assert starts[key] == pytest.approx(
            [phases[key] + interval_ms * k for k in range(len(starts[key]))], abs=1
        )
        assert poller.missed_ticks == 0
    # Same interval, different keys: their polls do not land on the same instants.
    assert abs(phases["chamber-1"] - phases["chamber-3"]) >= interval_ms / GRID_SLOTS
    assert not set(starts["chamber-1"]) & set(starts["chamber-3"])


async def test_a_restarted_poller_resumes_the_same_sampling_instants() -> None:
    clock = FakeClock()
    wall0 = clock.wall_ms()
    fake = FakeModbusDevice({"holding": chamber_registers()}, clock=clock, latency_s=0.01)
    sink = RecordingSink()

    def new_poller() -> DevicePoller:
        return DevicePoller(
            device(CHAMBER_POINTS, poll_interval_s=0.25), fake, sink, clock, CalibrationBook()
        )

    first = new_poller()
    await run_for(first, clock, 3)
    clock.advance(7.777)  # the gateway restarts at some arbitrary moment
    second = new_poller()
    await run_for(second, clock, 3)
    assert second.phase_s == first.phase_s
    offsets_ms = [(r.ts_ms - 5 - wall0 - first.phase_s * 1000) % 250 for r in sink.readings]
    assert len(sink.readings) >= 2 * 2 * 11
    assert all(min(x, 250 - x) <= 1 for x in offsets_ms)


def test_a_hundred_devices_spread_their_polls_over_the_interval() -> None:
    phases = [grid_phase(f"dev-{d}", 1.0) for d in range(100)]
    assert all(0 <= p < 1.0 for p in phases)
    per_instant = Counter(round(p, 6) for p in phases)
    # Every slot in use and none holding more than a fifth of the devices, where all 100
    # used to fall due at the same instant.
    assert len(per_instant) == GRID_SLOTS
    assert max(per_instant.values()) <= 20
    assert grid_phase("dev-7", 0.5) == pytest.approx(grid_phase("dev-7", 1.0) / 2)


def test_next_tick_never_drifts() -> None:
    start = 100.0
    assert next_tick(start, 0.1, 100.0) == (1, pytest.approx(100.1))
    k, deadline = next_tick(start, 0.1, 100.0 + 0.1 * 1_000_000 + 0.05)
    assert k == 1_000_001
    assert deadline == pytest.approx(start + 0.1 * 1_000_001)


async def test_dead_device_backs_off_and_logs_once_each_way(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="edge_agent.poller")
    poller, fake, sink, clock = make(poll_interval_s=1.0)
    fake.dead = True
    await run_for(poller, clock, 30)
    attempts = len(fake.requests)
    # Backoff 1, 2, 4, 8, 8 s (with jitter) instead of 30 attempts in 30 s.
    assert 4 <= attempts <= 10
    assert poller.health.status == "failing"
    failed = [r for r in sink.readings if r.quality is Quality.COMM_FAIL]
    assert {r.point for r in failed} == {"temperature", "power"}
    assert all(r.value is None for r in failed)

    fake.dead = False
    await run_for(poller, clock, 10)
    assert poller.health.status == "ok"
    assert sink.readings[-1].quality is Quality.OK
    logged = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert logged == [
        (logging.ERROR, "device chamber-1 is not answering: no response: timeout"),
        (logging.WARNING, "device chamber-1 answers again"),
    ]


async def test_illegal_address_falls_back_per_point_and_skips_holes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    points = [*CHAMBER_POINTS, {"key": "ghost", "register": "holding", "address": 9}]
    poller, fake, _sink, _clock = make(points)
    first = await poller.poll_once()
    # Merged read 0..9 refused (9 is missing) -> three single reads, one of them refused.
    assert fake.requests == [
        ("holding", 0, 10),
        ("holding", 0, 2),
        ("holding", 6, 1),
        ("holding", 9, 1),
    ]
    assert {r.point: r.quality for r in first} == {
        "temperature": Quality.OK,
        "power": Quality.OK,
        "ghost": Quality.COMM_FAIL,
    }
    assert poller.health.status == "ok"
    assert poller.health.holes == ["ghost"]
    assert "point ghost is not readable" in caplog.text
    fake.requests.clear()
    await poller.poll_once()
    assert fake.requests == [("holding", 0, 2), ("holding", 6, 1)]


async def test_deadband_report_on_change_and_max_interval() -> None:
    points: list[dict[str, object]] = [
        {
            "key": "temperature",
            "register": "holding",
            "address": 0,
            "type": "float32",
            "deadband": 0.5,
            "max_interval_s": 10,
        },
        {"key": "power", "register": "holding", "address": 6, "report_on_change": True},
    ]
    poller, fake, _sink, clock = make(points)
    sent: list[tuple[str, float | None]] = []
    for temperature, power in [(20.0, 1), (20.3, 1), (20.6, 1), (20.6, 2), (20.4, 2)]:
        fake.registers["holding"] = chamber_registers(temperature, power)
        sent += [(r.point, r.value) for r in await poller.poll_once()]
        clock.advance(1.0)
    assert sent == [
        ("temperature", 20.0),
        ("power", 1.0),
        ("temperature", pytest.approx(20.6, abs=1e-5)),
        ("power", 2.0),
    ]
    clock.advance(10)
    assert [r.point for r in await poller.poll_once()] == ["temperature"]


async def test_out_of_range_keeps_value_with_quality() -> None:
    points: list[dict[str, object]] = [
        {
            "key": "temperature",
            "register": "holding",
            "address": 0,
            "type": "float32",
            "valid_min": -50,
            "valid_max": 20,
        }
    ]
    poller, *_ = make(points)
    (reading,) = await poller.poll_once()
    assert reading.value == 21.5
    assert reading.quality is Quality.OUT_OF_RANGE


async def test_calibration_applies_within_validity_and_names_itself() -> None:
    poller, _fake, _sink, clock = make()
    now = clock.wall_ms()
    poller.calibrations.replace(
        CalibrationSet(
            gateway="demo-gw-01",
            issued_at_ms=now,
            corrections=[
                Calibration(
                    id="cert-2026-17",
                    device="chamber-1",
                    point="temperature",
                    kind="offset_gain",
                    offset=-0.3,
                    gain=1.01,
                    valid_from_ms=now - 1000,
                    valid_to_ms=now + 5000,
                ),
            ],
        )
    )
    readings = {r.point: r for r in await poller.poll_once()}
    assert readings["temperature"].value == pytest.approx(21.5 * 1.01 - 0.3)
    assert readings["temperature"].correction_id == "cert-2026-17"
    assert readings["power"].correction_id is None
    clock.advance(10)
    expired = {r.point: r for r in await poller.poll_once()}
    assert expired["temperature"].value == 21.5
    assert expired["temperature"].correction_id is None


class SwallowingDevice(FakeModbusDevice):
    """Answers even when cancelled mid-read, like asyncio.wait_for on Python 3.11 can."""

    def __init__(self, registers: Any) -> None:
        super().__init__(registers)
        self.reading = asyncio.Event()

    async def read(
        self, kind: Any, address: int, count: int, device_id: int
    ) -> list[int] | list[bool]:
        self.reading.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.05)
        return await super().read(kind, address, count, device_id)


async def test_a_swallowed_cancellation_still_stops_the_poller() -> None:
    fake = SwallowingDevice({"holding": chamber_registers()})
    poller = DevicePoller(
        device(CHAMBER_POINTS, poll_interval_s=0.1),
        fake,
        RecordingSink(),
        SystemClock(),
        CalibrationBook(),
    )
    task = asyncio.create_task(run_forever(poller))
    await fake.reading.wait()
    task.cancel()  # lands inside the read, which swallows it
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done
    assert task.cancelled()
    assert len(fake.requests) == 1
