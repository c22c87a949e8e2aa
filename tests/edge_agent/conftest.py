"""Real protocol peers for the gateway tests: pymodbus servers and MQTT subscribers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

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
