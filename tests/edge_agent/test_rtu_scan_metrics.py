"""RTU over a serial line and over TCP, the scan command, and the metrics endpoint."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

from edge_agent.agent import Gateway
from edge_agent.calibration import CalibrationBook
from edge_agent.cli import scan_device, starter_config
from edge_agent.clock import SystemClock
from edge_agent.decoding import encode_value
from edge_agent.fakes import RecordingSink
from edge_agent.poller import DevicePoller
from edge_agent.transport import TransportPool
from mqtt_contract.gateway_config import (
    ModbusRtuDevice,
    ModbusRtuOverTcpDevice,
    parse_config,
    parse_config_text,
)
from tests.harness.edge import holding_device, wait_until
from tests.harness.ports import free_port, wait_for_port

pytestmark = pytest.mark.integration

POINTS = [
    {
        "key": "temperature",
        "register": "holding",
        "address": 0,
        "type": "float32",
        "byte_order": "CDAB",
        "source_unit": "kelvin",
        "unit": "degC",
    }
]


def kelvin_device(device_id: int, kelvin: float) -> Any:
    return holding_device(device_id, {0: encode_value(kelvin, "float32", "CDAB")})


async def test_rtu_frames_over_tcp(tmp_path: Path) -> None:
    port = free_port()
    server = ModbusTcpServer(
        [kelvin_device(3, 300.15)], framer=FramerType.RTU, address=("127.0.0.1", port)
    )
    await server.serve_forever(background=True)
    pool = TransportPool()
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 5.0)
        device = ModbusRtuOverTcpDevice.model_validate(
            {
                "key": "furnace-3",
                "protocol": "modbus_rtu_over_tcp",
                "host": "127.0.0.1",
                "port": port,
                "device_id": 3,
                "points": POINTS,
            }
        )
        poller = DevicePoller(
            device, pool(device), RecordingSink(), SystemClock(), CalibrationBook()
        )
        (reading,) = await poller.poll_once()
    finally:
        await pool.close()
        await server.shutdown()
    assert reading.value == pytest.approx(27.0, abs=1e-4)
    assert reading.unit == "degC"


@pytest.fixture
def serial_line(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two linked pseudo-terminals: a serial cable inside the machine."""
    socat = shutil.which("socat")
    assert socat, "socat is needed for the serial line tests (apt-get install socat)"
    a, b = tmp_path / "ttyA", tmp_path / "ttyB"
    proc = subprocess.Popen(
        [socat, f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not (a.exists() and b.exists()):
            assert time.monotonic() < deadline, "socat did not create the pty pair"
            time.sleep(0.02)
        yield str(a), str(b)
    finally:
        proc.terminate()
        proc.wait(5)


async def test_two_slaves_share_one_serial_bus(serial_line: tuple[str, str]) -> None:
    server_end, client_end = serial_line
    server = ModbusSerialServer(
        [kelvin_device(1, 273.15), kelvin_device(2, 373.15)], port=server_end, baudrate=115200
    )
    await server.serve_forever(background=True)
    pool = TransportPool()
    sink = RecordingSink()
    try:
        devices = [
            ModbusRtuDevice.model_validate(
                {
                    "key": f"oven-{i}",
                    "protocol": "modbus_rtu",
                    "serial_port": client_end,
                    "bus": "rs485-a",
                    "baudrate": 115200,
                    "device_id": i,
                    "frame_gap_ms": 5,
                    "points": POINTS,
                }
            )
            for i in (1, 2)
        ]
        transports = [pool(d) for d in devices]
        assert transports[0] is transports[1]  # one client and one lock for the line
        pollers = [
            DevicePoller(d, t, sink, SystemClock(), CalibrationBook())
            for d, t in zip(devices, transports, strict=True)
        ]
        # Both devices poll at once; the bus lock must keep their frames apart.
        for _ in range(5):
            await asyncio.gather(*(p.poll_once() for p in pollers))
    finally:
        await pool.close()
        await server.shutdown()
    values = {(r.device, round(r.value or 0, 3)) for r in sink.readings}
    assert values == {("oven-1", 0.0), ("oven-2", 100.0)}
    assert len(sink.readings) == 10
    assert all(p.health.failures == 0 for p in pollers)


async def test_scan_finds_readable_ranges_and_prints_a_valid_config(modbus_servers: Any) -> None:
    registers = [*encode_value(21.5, "float32"), 7, 8]
    peer = await modbus_servers([holding_device(1, {0: registers, 40: [99]})])
    found = await scan_device(peer.host, peer.port, 1, "holding", 0, 200, request_timeout_s=1.0)
    assert found == {0: registers[0], 1: registers[1], 2: 7, 3: 8, 40: 99}
    text = starter_config(
        found, host=peer.host, port=peer.port, device_id=1, kind="holding", gateway_key="gw-scan"
    )
    assert "as float32 ABCD with 1: 21.5" in text
    config = parse_config_text(text)
    assert [p.address for p in config.devices[0].points] == [0, 1, 2, 3, 40]


async def test_prometheus_endpoint_reports_devices_and_spool(
    modbus_servers: Any, mosquitto: Any, subscriber: Any, tmp_path: Path
) -> None:
    # Someone must be subscribed: a PUBACK "no matching subscribers" keeps samples spooled.
    subscriber("gw-metrics")
    peer = await modbus_servers([kelvin_device(1, 300.0)])
    metrics_port = free_port()
    config = parse_config(
        {
            "gateway": {"key": "gw-metrics"},
            "mqtt": {"host": mosquitto.host, "port": mosquitto.port},
            "spool": {"path": str(tmp_path / "s.db")},
            "metrics": {"port": metrics_port},
            "devices": [
                {
                    "key": "furnace-1",
                    "protocol": "modbus_tcp",
                    "host": "127.0.0.1",
                    "port": peer.port,
                    "poll_interval_s": 0.1,
                    "points": POINTS,
                },
                {
                    "key": "absent",
                    "protocol": "modbus_tcp",
                    "host": "127.0.0.1",
                    "port": free_port(),
                    "poll_interval_s": 0.1,
                    "points": POINTS,
                },
            ],
        }
    )
    gateway = Gateway(config)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    try:
        await wait_until(
            lambda: gateway.forwarder is not None and gateway.forwarder.samples_acked > 5,
            10,
            "acks",
        )

        def scrape() -> str:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{metrics_port}/metrics", timeout=5
            ) as response:
                return str(response.read().decode())

        body = await asyncio.to_thread(scrape)
    finally:
        stop.set()
        await task
    assert 'labshare_edge_device_up{device="furnace-1"} 1.0' in body
    assert 'labshare_edge_device_up{device="absent"} 0.0' in body
    assert "labshare_edge_broker_connected 1.0" in body
    assert "labshare_edge_spool_dropped_total 0.0" in body
    assert "labshare_edge_samples_acked_total" in body
