"""Attacks by a gateway with valid credentials on the production broker configuration.

The broker is a real Mosquitto 2.0 started with deploy/mosquitto/mosquitto.conf (ports and
paths moved into a temporary directory) and the dynamic-security file that
``labshare-server mosquitto-auth --dynsec`` writes (``render_dynsec``). The ingest side is
the real ingest ``Consumer`` on the server account.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_contract.program_v1 import ProgramRun
from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.core.security import mosquitto_password_hash
from server.gateways.mosquitto import MosquittoAccount, gateway_client_id, render_dynsec
from server.telemetry.mqtt import Consumer, Received
from tests.gateways.dynsec import dynsec_plugin
from tests.harness.mosquitto import find_mosquitto
from tests.harness.ports import free_port, wait_for_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SERVER = ("labshare-server", "server-password-for-the-test")
GW_A = ("gw-a", "secret-of-gateway-a")
GW_B = ("gw-b", "secret-of-gateway-b")
WORKER_ID = "labshare-ingest-host1"
NOT_AUTHORIZED = 0x87


@dataclass
class Broker:
    host: str
    port: int
    log: Path


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    accounts = [MosquittoAccount(u, mosquitto_password_hash(p)) for u, p in (GW_A, GW_B)]
    server = MosquittoAccount(SERVER[0], mosquitto_password_hash(SERVER[1]))
    (tmp_path / "dynamic-security.json").write_text(render_dynsec(accounts, server))
    port = free_port()
    conf = (REPO / "deploy" / "mosquitto" / "mosquitto.conf").read_text()
    conf = (
        conf.replace("/usr/lib/mosquitto_dynamic_security.so", dynsec_plugin())
        .replace("/mosquitto/auth/", f"{tmp_path}/")
        .replace("/mosquitto/data/", f"{tmp_path}/")
        .replace("listener 1883\n", f"listener {port} 127.0.0.1\n")
    )
    if os.geteuid() == 0:
        conf += "user root\n"
    (tmp_path / "mosquitto.conf").write_text(conf)
    log = tmp_path / "mosquitto.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [find_mosquitto(), "-c", str(tmp_path / "mosquitto.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port("127.0.0.1", port, 10)
        yield Broker("127.0.0.1", port, log)
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class Client:
    """An MQTT 5 client recording what the broker answers."""

    client: paho.Client
    connack: list[int] = field(default_factory=list)
    suback: list[list[int]] = field(default_factory=list)
    puback: dict[int, int] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)
    disconnects: list[str] = field(default_factory=list)

    def subscribe(self, topic: str) -> int:
        before = len(self.suback)
        self.client.subscribe(topic, qos=1)
        until(lambda: len(self.suback) > before, f"SUBACK for {topic}")
        return self.suback[-1][0]

    def publish(self, topic: str, payload: bytes) -> int:
        """The PUBACK reason code; -1 if paho refused to send it at all."""
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            return -1
        until(lambda: info.mid in self.puback, f"PUBACK for {topic}")
        return self.puback[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def until(check: Callable[[], bool], what: str, within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def connect(broker: Broker) -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def start(account: tuple[str, str], client_id: str) -> Client:
        raw = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        raw.username_pw_set(*account)
        c = Client(raw)

        def on_connect(cl: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
            c.connack.append(int(reason.value))

        def on_subscribe(cl: Any, u: Any, mid: int, reasons: Any, props: Any) -> None:
            c.suback.append([int(r.value) for r in reasons])

        def on_publish(cl: Any, u: Any, mid: int, reason: Any, props: Any) -> None:
            c.puback[mid] = int(reason.value)

        def on_message(cl: Any, u: Any, message: Any) -> None:
            c.received.append(message.topic)

        def on_disconnect(cl: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
            c.disconnects.append(str(reason))

        raw.on_connect, raw.on_subscribe, raw.on_publish = on_connect, on_subscribe, on_publish
        raw.on_message, raw.on_disconnect = on_message, on_disconnect
        raw.connect(broker.host, broker.port)
        raw.loop_start()
        until(lambda: bool(c.connack), f"CONNACK for {client_id}")
        clients.append(c)
        return c

    yield start
    for c in clients:
        c.close()


class Worker:
    """The real ingest Consumer on the server account; acknowledges everything at once."""

    def __init__(self, broker: Broker) -> None:
        self.received: list[str] = []
        self.lock = threading.Lock()
        self.consumer = Consumer(
            host=broker.host,
            port=broker.port,
            client_id=WORKER_ID,
            username=SERVER[0],
            password=SERVER[1],
            protocol="5",
            on_received=self._on_received,
        )

    def _on_received(self, received: Received) -> None:
        with self.lock:
            self.received.append(received.inbound.topic)
        self.consumer.ack(received.delivery)

    def start(self) -> None:
        self.consumer.start()
        assert self.consumer.connected.wait(10), "the worker could not subscribe"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def worker(broker: Broker) -> Iterator[Worker]:
    w = Worker(broker)
    w.start()
    yield w
    w.consumer.stop()


def telemetry(key: str, seq: int) -> bytes:
    series = [
        Series(device="d", point="p", unit="degC", samples=[Sample(seq=seq, ts_ms=seq, value=1.0)])
    ]
    return encode(TelemetryBatch(gateway=key, sent_at_ms=seq, series=series))


def test_a_gateway_can_neither_join_the_ingest_share_nor_read_other_gateways(
    worker: Worker, connect: Callable[..., Client]
) -> None:
    a = connect(GW_A, gateway_client_id("gw-a"))
    b = connect(GW_B, gateway_client_id("gw-b"))
    assert a.connack == [0]
    assert b.connack == [0]
    # Before: Mosquitto's acl_file granted all of these, and the broker then handed every
    # other share of the ingest group's messages to gateway A, which could not read them.
    for attack in (
        "$share/ingest/labshare/v1/gw/+/telemetry",
        "$share/ingest/labshare/v1/gw/gw-b/telemetry",
        "labshare/v1/gw/+/telemetry",
        "labshare/v1/gw/gw-b/telemetry",
        "labshare/v1/gw/gw-b/config",
        "labshare/v1/gw/gw-a/+",
        "#",
    ):
        assert a.subscribe(attack) == NOT_AUTHORIZED, attack
    assert a.subscribe(topic_for("gw-a", TopicKind.CONFIG)) == 1
    assert a.subscribe(topic_for("gw-a", TopicKind.CALIBRATION)) == 1

    topic_b = topic_for("gw-b", TopicKind.TELEMETRY)
    codes = [b.publish(topic_b, telemetry("gw-b", seq)) for seq in range(1, 101)]
    assert codes == [0] * 100  # delivered to a subscriber: the worker
    until(lambda: worker.count() >= 100, "the worker to receive every message")
    time.sleep(0.3)
    assert worker.count() == 100
    assert a.received == []
    # Nor can A write into B's topics.
    assert a.publish(topic_b, telemetry("gw-b", 999)) == NOT_AUTHORIZED


def test_a_gateway_cannot_take_over_the_workers_session(
    broker: Broker, worker: Worker, connect: Callable[..., Client]
) -> None:
    b = connect(GW_B, gateway_client_id("gw-b"))
    # With its own valid credentials, gateway A presents the worker's client id, then B's.
    stolen = connect(GW_A, WORKER_ID)
    assert stolen.connack == [NOT_AUTHORIZED]
    assert connect(GW_A, gateway_client_id("gw-b")).connack == [NOT_AUTHORIZED]
    assert b.disconnects == []
    assert worker.consumer.connected.is_set()
    topic_b = topic_for("gw-b", TopicKind.TELEMETRY)
    assert [b.publish(topic_b, telemetry("gw-b", s)) for s in range(1, 51)] == [0] * 50
    until(lambda: worker.count() >= 50, "messages after the takeover attempt")

    # The worker's queued session survives an attempt while it is away.
    worker.consumer.stop()
    assert [b.publish(topic_b, telemetry("gw-b", s)) for s in range(51, 81)] == [0] * 30
    assert connect(GW_A, WORKER_ID).connack == [NOT_AUTHORIZED]
    back = Worker(broker)
    back.start()
    try:
        until(lambda: back.count() >= 30, "the queued messages after the worker's return")
        time.sleep(0.3)
        assert back.count() == 30
    finally:
        back.consumer.stop()
    assert (
        "labshare-ingest-host1"
        not in broker.log.read_text().split("closing old connection")[0][-200:]
    )


def test_the_broker_refuses_payloads_above_the_ingest_limit(
    worker: Worker, connect: Callable[..., Client]
) -> None:
    b = connect(GW_B, gateway_client_id("gw-b"))
    topic_b = topic_for("gw-b", TopicKind.TELEMETRY)
    assert b.publish(topic_b, b"x" * 262_144) == 0
    # One byte more is dropped by the broker (it answers 0x95; paho 2.2 then treats the
    # connection as broken and resends, so the edge agent never builds such a message).
    b.client.publish(topic_b, b"x" * 262_145, qos=1)
    time.sleep(1.0)
    until(lambda: worker.count() >= 1, "the largest allowed message")
    time.sleep(0.3)
    assert worker.count() == 1


def test_a_gateway_publishes_its_own_program_runs_and_nobody_elses(
    worker: Worker, connect: Callable[..., Client]
) -> None:
    a = connect(GW_A, gateway_client_id("gw-a"))
    run = ProgramRun(
        gateway="gw-a", sent_at_ms=1, device="d", unit="u", run_id="r-1",
        outcome="completed", ended_ms=1,
    )  # fmt: skip
    assert a.publish(topic_for("gw-a", TopicKind.PROGRAM), encode(run)) == 0  # the worker has it
    until(lambda: worker.count() >= 1, "the worker to receive the run")
    assert a.publish(topic_for("gw-b", TopicKind.PROGRAM), encode(run)) == NOT_AUTHORIZED
