"""Gateway test helpers: pymodbus servers, MQTT subscribers, gateway documents, agent processes.

The fixtures are imported by tests/edge_agent/conftest.py."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from edge_agent.agent import Gateway
from edge_agent.decoding import encode_value
from edge_agent.poller import Reading
from mqtt_contract.gateway_config import parse_config
from tests.harness.ports import free_port, wait_for_port


@dataclass
class ModbusPeer:
    host: str
    port: int
    server: ModbusTcpServer


async def start_modbus_server(devices: list[SimDevice], port: int | None = None) -> ModbusPeer:
    port = port or free_port()
    server = ModbusTcpServer(devices, address=("127.0.0.1", port))
    await server.serve_forever(background=True)
    await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 5.0)
    return ModbusPeer("127.0.0.1", port, server)


def holding_device(
    device_id: int, registers: dict[int, list[int]], coils: list[bool] | None = None
) -> SimDevice:
    """A device with only the given holding-register runs defined (anything else is a hole)."""
    hr = [
        SimData(address, values=values, datatype=DataType.REGISTERS)
        for address, values in registers.items()
    ]
    co = (
        [SimData(0, values=coils, datatype=DataType.BITS)]
        if coils
        else [SimData(0, values=[False], datatype=DataType.BITS)]
    )
    di = [SimData(0, values=[False], datatype=DataType.BITS)]
    ir = [SimData(0, values=[0], datatype=DataType.REGISTERS)]
    return SimDevice(id=device_id, simdata=(co, di, hr, ir))


@pytest.fixture
async def modbus_servers() -> AsyncIterator[Callable[..., Any]]:
    started: list[ModbusPeer] = []

    async def start(devices: list[SimDevice], port: int | None = None) -> ModbusPeer:
        peer = await start_modbus_server(devices, port)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        await peer.server.shutdown()
    # pymodbus starts a request's handler task two loop iterations after the data arrived
    # (call_soon, then run_coroutine_threadsafe): let those callbacks run, then let the
    # handlers finish, so none is left behind when the test's loop closes.
    await asyncio.sleep(0.05)
    current = asyncio.current_task()
    for _ in range(50):
        handlers = [
            t
            for t in asyncio.all_tasks()
            if t is not current and "handle_request" in repr(t.get_coro())
        ]
        if not handlers:
            break
        await asyncio.sleep(0.02)
    else:
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


@pytest.fixture
async def silent_peer() -> AsyncIterator[tuple[str, int]]:
    """A TCP peer that accepts connections and never answers: a hung Modbus device."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield "127.0.0.1", port
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()


@dataclass
class Subscriber:
    """A persistent-session MQTT subscriber collecting messages by topic."""

    host: str
    port: int
    topics: list[str]
    client_id: str
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: Any = None

    def start(self) -> None:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=False
        )
        client.reconnect_delay_set(min_delay=1, max_delay=2)

        def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
            for topic in self.topics:
                c.subscribe(topic, qos=1)

        def on_message(c: Any, userdata: Any, message: Any) -> None:
            with self.lock:
                self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect(self.host, self.port, keepalive=10)
        client.loop_start()
        self.client = client

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def payloads(self, suffix: str) -> list[Any]:
        with self.lock:
            return [json.loads(p) for t, p, _ in self.messages if t.endswith(suffix) and p]

    def seqs(self) -> list[int]:
        return [
            s[0]
            for doc in self.payloads("/telemetry")
            for series in doc["series"]
            for s in series["samples"]
        ]


@pytest.fixture
def subscriber(
    mosquitto: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Subscriber]]:
    started: list[Subscriber] = []

    def start(gateway: str) -> Subscriber:
        sub = Subscriber(
            mosquitto.host,
            mosquitto.port,
            [f"labshare/v1/gw/{gateway}/#"],
            client_id=f"test-{request.node.name[:40]}-{len(started)}-{time.monotonic_ns()}",
        )
        sub.start()
        started.append(sub)
        return sub

    yield start
    for sub in started:
        sub.stop()


async def wait_until(predicate: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Collect:
    """A device source's sink that keeps every reading it is given."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def submit(self, readings: Iterable[Reading]) -> None:
        self.readings.extend(readings)

    def of(self, point: str) -> list[Reading]:
        return [r for r in self.readings if r.point == point]


@asynccontextmanager
async def running(*runs: Coroutine[Any, Any, Any]) -> AsyncIterator[None]:
    """Runs the coroutines (device sources' ``run()``) as tasks; cancels them at the end."""
    tasks = [asyncio.create_task(run) for run in runs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@asynccontextmanager
async def running_gateway(
    key: str, broker: Any, spool_dir: Path, devices: list[dict[str, Any]], *, batched: bool = True
) -> AsyncIterator[Gateway]:
    """An in-process gateway publishing these devices to the broker, stopped at the end.

    ``batched`` sends batches within 100 ms (tests that wait for stored values)."""
    document: dict[str, Any] = {
        "gateway": {"key": key},
        "mqtt": {"host": broker.host, "port": broker.port},
        "spool": {"path": str(spool_dir / "spool.db")},
        "devices": devices,
    }
    if batched:
        document["batch"] = {"max_samples": 200, "max_delay_ms": 100}
    gateway = Gateway(parse_config(document))
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    try:
        yield gateway
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def gateway_doc(
    key: str, broker: Any, modbus_port: int, spool: Path, **overrides: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "gateway": {"key": key},
        "mqtt": {"host": broker.host, "port": broker.port},
        "spool": {"path": str(spool), "max_bytes": 100_000_000, "drain_rate": 2000},
        "metrics": {"port": 0},
        "heartbeat": {"interval_s": 0.3},
        "batch": {"max_samples": 200, "max_delay_ms": 100},
        "devices": [
            {
                "key": "chamber-1",
                "protocol": "modbus_tcp",
                "host": "127.0.0.1",
                "port": modbus_port,
                "poll_interval_s": 0.1,
                "points": [
                    {
                        "key": "temperature",
                        "register": "holding",
                        "address": 0,
                        "type": "float32",
                        "source_unit": "degC",
                    },
                    {
                        "key": "humidity",
                        "register": "holding",
                        "address": 4,
                        "type": "float32",
                        "source_unit": "percent",
                    },
                    {"key": "power", "register": "holding", "address": 6, "source_unit": "W"},
                ],
            }
        ],
    }
    doc.update(overrides)
    return doc


def chamber() -> Any:
    regs = (
        encode_value(23.5, "float32")
        + encode_value(0, "float32")
        + encode_value(45.0, "float32")
        + [800, 2]
    )
    return holding_device(1, {0: regs})


def spawn_agent(config_path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """``labshare-edge run`` as its own process, so it can be killed without warning."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "edge_agent.cli", "run", str(config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )


BASE: dict[str, Any] = {
    "gateway": {"key": "demo-gw-01"},
    "mqtt": {"host": "127.0.0.1", "port": 1883},
    "spool": {"path": "./spool.sqlite3", "max_bytes": 100000000},
    "metrics": {"port": 0},
    "devices": [
        {
            "key": "chamber-1",
            "protocol": "modbus_tcp",
            "host": "127.0.0.1",
            "port": 5020,
            "device_id": 1,
            "poll_interval_s": 1.0,
            "points": [
                {
                    "key": "temperature",
                    "register": "holding",
                    "address": 0,
                    "type": "float32",
                    "byte_order": "ABCD",
                    "source_unit": "degC",
                    "unit": "degC",
                },
                {
                    "key": "power",
                    "register": "holding",
                    "address": 6,
                    "type": "uint16",
                    "source_unit": "W",
                    "unit": "W",
                    "deadband": 5,
                },
                {"key": "status", "register": "holding", "address": 7, "type": "uint16"},
            ],
        }
    ],
}


def doc(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    out.update(changes)
    return out
