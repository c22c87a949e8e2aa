"""The poller against real pymodbus TCP servers."""

from __future__ import annotations

import asyncio
import statistics
from collections import defaultdict
from typing import Any

import pytest

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import SystemClock
from edge_agent.decoding import encode_value
from edge_agent.fakes import RecordingSink
from edge_agent.poller import DevicePoller, run_forever
from edge_agent.transport import TransportPool
from mqtt_contract.gateway_config import ModbusTcpDevice
from mqtt_contract.v1 import Quality
from tests.harness.edge import holding_device

pytestmark = pytest.mark.integration

ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"]


def tcp_device(key: str, port: int, points: list[dict[str, Any]], **kw: Any) -> ModbusTcpDevice:
    return ModbusTcpDevice.model_validate(
        {
            "key": key,
            "protocol": "modbus_tcp",
            "host": "127.0.0.1",
            "port": port,
            "points": points,
            **kw,
        }
    )


async def test_every_type_and_byte_order_from_a_real_server(modbus_servers: Any) -> None:
    registers: list[int] = []
    points: list[dict[str, Any]] = []
    for i, order in enumerate(ORDERS):
        points.append(
            {
                "key": f"f_{order}",
                "register": "holding",
                "address": len(registers),
                "type": "float32",
                "byte_order": order,
            }
        )
        registers += encode_value(-12.625 - i, "float32", order)  # type: ignore[arg-type]
    extra = [
        ("i16", "int16", -300, "ABCD"),
        ("u32", "uint32", 3_000_000_000, "CDAB"),
        ("i64", "int64", -5_000_000_000, "DCBA"),
        ("f64", "float64", 6.02e23, "ABCD"),
    ]
    for key, type_, value, order in extra:
        points.append(
            {
                "key": key,
                "register": "holding",
                "address": len(registers),
                "type": type_,
                "byte_order": order,
            }
        )
        registers += encode_value(value, type_, order)  # type: ignore[arg-type]
    points.append(
        {
            "key": "label",
            "register": "holding",
            "address": len(registers),
            "type": "string",
            "length": 6,
        }
    )
    registers += [*encode_value("42.5", "string"), 0]
    points.append({"key": "heater", "register": "coil", "address": 1, "type": "bool"})
    peer = await modbus_servers([holding_device(1, {0: registers}, coils=[False, True, False])])
    pool = TransportPool()
    device = tcp_device("rig", peer.port, points)
    poller = DevicePoller(device, pool(device), RecordingSink(), SystemClock(), CalibrationBook())
    try:
        readings = {r.point: r for r in await poller.poll_once()}
    finally:
        await pool.close()
    assert [readings[f"f_{o}"].value for o in ORDERS] == [-12.625, -13.625, -14.625, -15.625]
    assert readings["i16"].value == -300
    assert readings["u32"].value == 3_000_000_000
    assert readings["i64"].value == -5_000_000_000
    assert readings["f64"].value == pytest.approx(6.02e23)
    assert readings["label"].value == 42.5
    assert readings["heater"].value == 1.0
    assert all(r.quality is Quality.OK for r in readings.values())
    # One merged register read plus one coil read.
    assert poller.health.reads == 2


async def test_hole_in_a_real_device_map_is_found_and_skipped(modbus_servers: Any) -> None:
    peer = await modbus_servers([holding_device(1, {0: [1, 2], 4: [5]})])
    points = [
        {"key": k, "register": "holding", "address": a}
        for k, a in [("a", 0), ("b", 1), ("gap", 3), ("c", 4)]
    ]
    pool = TransportPool()
    device = tcp_device("holes", peer.port, points)
    poller = DevicePoller(device, pool(device), RecordingSink(), SystemClock(), CalibrationBook())
    try:
        first = {r.point: (r.value, r.quality) for r in await poller.poll_once()}
        second = {r.point: (r.value, r.quality) for r in await poller.poll_once()}
    finally:
        await pool.close()
    assert first == {
        "a": (1.0, Quality.OK),
        "b": (2.0, Quality.OK),
        "gap": (None, Quality.COMM_FAIL),
        "c": (5.0, Quality.OK),
    }
    assert poller.health.holes == ["gap"]
    assert second == {"a": (1.0, Quality.OK), "b": (2.0, Quality.OK), "c": (5.0, Quality.OK)}


async def test_a_hung_device_never_delays_its_neighbours(
    modbus_servers: Any, silent_peer: tuple[str, int]
) -> None:
    peer = await modbus_servers([holding_device(1, {0: [11]}), holding_device(2, {0: [22]})])
    point = [{"key": "v", "register": "holding", "address": 0}]
    devices = [
        tcp_device("live-1", peer.port, point, device_id=1, poll_interval_s=0.2),
        tcp_device("live-2", peer.port, point, device_id=2, poll_interval_s=0.2),
        tcp_device("hung", silent_peer[1], point, poll_interval_s=0.2, timeout_s=0.5),
    ]
    pool = TransportPool()
    sink = RecordingSink()
    pollers = [DevicePoller(d, pool(d), sink, SystemClock(), CalibrationBook()) for d in devices]
    tasks = [asyncio.create_task(run_forever(p)) for p in pollers]
    await asyncio.sleep(3.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await pool.close()

    stamps: dict[str, list[int]] = defaultdict(list)
    for r in sink.readings:
        stamps[r.device].append(r.ts_ms)
    for key in ("live-1", "live-2"):
        assert {r.value for r in sink.readings if r.device == key} == {
            11.0 if key == "live-1" else 22.0
        }
        gaps = [b - a for a, b in zip(stamps[key], stamps[key][1:], strict=False)]
        assert 13 <= len(stamps[key]) <= 17, stamps[key]
        # Waiting on the hung device would show as gaps of its 500 ms timeout; the margin
        # below that only absorbs scheduling noise on a busy machine.
        assert max(gaps) < 450, gaps
        assert statistics.mean(gaps) == pytest.approx(200, abs=25)
    hung = [r for r in sink.readings if r.device == "hung"]
    assert hung
    assert all(r.quality is Quality.COMM_FAIL for r in hung)
    assert pollers[2].health.status == "failing"
    # Backoff: far fewer attempts than the 15 ticks a healthy device gets.
    assert pollers[2].health.polls <= 5
