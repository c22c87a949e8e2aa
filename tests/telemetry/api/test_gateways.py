"""Gateway health (heartbeat, lag, gaps), pushed configuration, and broker ACLs between gateways."""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import psycopg
import pytest
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_contract.v1 import Heartbeat, Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.core.security import hash_password, mosquitto_password_hash
from tests.harness import MosquittoBroker
from tests.harness.app import Login
from tests.harness.factories import DEVICE_KEY, GATEWAY_KEY, World
from tests.harness.telemetry import Publisher, WorkerFactory

GATEWAY_CONFIG = f"""
gateway: {{key: {GATEWAY_KEY}}}
mqtt: {{host: 127.0.0.1, port: 1883}}
spool: {{path: ./spool.sqlite3, max_bytes: 100000000}}
devices:
  - key: {DEVICE_KEY}
    protocol: modbus_tcp
    host: 127.0.0.1
    port: 5020
    device_id: 1
    poll_interval_s: 1.0
    points:
      - {{key: temperature, register: holding, address: 0, type: float32, byte_order: ABCD,
          source_unit: degC, unit: degC}}
"""


def batch(seq: int) -> bytes:
    now_ms = int(time.time() * 1000)
    return encode(
        TelemetryBatch(
            gateway=GATEWAY_KEY,
            sent_at_ms=now_ms,
            series=[
                Series(
                    device=DEVICE_KEY,
                    point="temperature",
                    unit="degC",
                    samples=[Sample(seq=seq, ts_ms=now_ms + seq, value=20.0)],
                )
            ],
        )
    )


async def test_health_shows_heartbeat_spool_depth_lag_and_sequence_gaps(
    client: httpx.AsyncClient,
    login: Login,
    demo: World,
    start_worker: WorkerFactory,
    publisher: Publisher,
) -> None:
    await start_worker()
    telemetry_topic = topic_for(GATEWAY_KEY, TopicKind.TELEMETRY)
    await asyncio.to_thread(publisher.publish, telemetry_topic, batch(1))
    await asyncio.to_thread(publisher.publish, telemetry_topic, batch(5))  # 2-4 never arrive
    beat = Heartbeat(
        gateway=GATEWAY_KEY,
        ts_ms=int(time.time() * 1000) - 2000,  # sent two seconds ago: lag of at least 2 s
        spool_depth=1234,
        spool_dropped_total=7,
        last_seq=5,
    )
    await asyncio.to_thread(
        publisher.publish, topic_for(GATEWAY_KEY, TopicKind.HEARTBEAT), encode(beat)
    )
    headers = await login("staff@zjim.demo")
    url = f"/api/v1/gateways/{demo.gateway.id}/health"

    async def health() -> dict[str, object]:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    deadline = time.monotonic() + 20
    body = await health()
    while (body["heartbeat"] is None or not body["gaps"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        body = await health()
    heartbeat = body["heartbeat"]
    assert isinstance(heartbeat, dict)
    assert (heartbeat["spool_depth"], heartbeat["spool_dropped_total"]) == (1234, 7)
    assert [(g["first_missing"], g["last_missing"]) for g in body["gaps"]] == [(2, 4)]  # type: ignore[attr-defined]
    assert body["missing_total"] == 3
    assert isinstance(body["lag_s"], float)
    assert body["lag_s"] >= 2.0
    listed = (await client.get("/api/v1/gateways/health", headers=headers)).json()
    assert [g["gateway"]["key"] for g in listed] == [GATEWAY_KEY]
    # Another institution does not learn the gateway exists.
    other = await client.get(url, headers=await login("manager@zju.demo"))
    assert other.status_code == 404


class Retained:
    """Collects what a fresh subscriber receives on a topic (retained messages arrive at once)."""

    def __init__(self, broker: MosquittoBroker, topic: str, *, auth: tuple[str, str] | None = None):
        self.messages: queue.Queue[bytes] = queue.Queue()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5
        )
        if auth:
            self.client.username_pw_set(*auth)
        self.client.on_message = lambda c, u, m: self.messages.put(bytes(m.payload))
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def get(self, timeout: float = 10.0) -> bytes:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def test_config_is_validated_stored_and_pushed_retained(
    app: FastAPI,
    client: httpx.AsyncClient,
    login: Login,
    demo: World,
    mosquitto: MosquittoBroker,
    publisher: Publisher,
) -> None:
    await app.state.live_hub.wait_connected()
    manager = await login("manager@zjim.demo")
    url = f"/api/v1/gateways/{demo.gateway.id}/config"
    topic = topic_for(GATEWAY_KEY, TopicKind.CONFIG)
    try:
        wrong_key = GATEWAY_CONFIG.replace(f"key: {GATEWAY_KEY}}}", "key: other-gw}")
        refused = await client.put(url, json={"document": wrong_key}, headers=manager)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "document.gateway.key"
        staff = await client.put(
            url, json={"document": GATEWAY_CONFIG}, headers=await login("staff@zjim.demo")
        )
        assert staff.status_code == 403

        response = await client.put(url, json={"document": GATEWAY_CONFIG}, headers=manager)
        assert response.status_code == 200, response.text
        assert response.json()["pushed"] is True
        # A gateway connecting afterwards still gets it: the message is retained.
        late = Retained(mosquitto, topic)
        try:
            assert await asyncio.to_thread(late.get) == GATEWAY_CONFIG.encode()
        finally:
            late.close()
        stored = (await client.get(url, headers=manager)).json()
        assert stored["body"] == GATEWAY_CONFIG
        assert stored["pushed_at"] is not None
        assert stored["running"] is False  # the gateway has not reported this hash yet
    finally:
        await asyncio.to_thread(publisher.publish, topic, b"", 1, True)


# broker ACLs between gateways

SERVER_USER, SERVER_PASSWORD = "labshare-server", "server-secret-for-acl-tests"
SECRET_A, SECRET_B = "gateway-a-secret-0001", "gateway-b-secret-0002"


def _client(broker: MosquittoBroker, user: str, password: str) -> tuple[paho.Client, int]:
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"{user}-{uuid.uuid4().hex[:6]}",
        protocol=paho.MQTTv5,
    )
    client.username_pw_set(user, password)
    codes: queue.Queue[int] = queue.Queue()
    client.on_connect = lambda c, u, f, rc, p: codes.put(rc.value)
    client.connect(broker.host, broker.port)
    client.loop_start()
    code = codes.get(timeout=10)
    if code != 0:  # refused: do not keep retrying in the background
        client.disconnect()
        client.loop_stop()
    return client, code


def _cli(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture
def acl_broker(
    database_url: str,
    database_conninfo: str,
    tmp_path: Path,
    mosquitto_factory: Callable[..., MosquittoBroker],
) -> MosquittoBroker:
    """A broker whose password and ACL files come from ``labshare-server mosquitto-auth``."""
    env = {
        **os.environ,
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_ENVIRONMENT": "test",
        "LABSHARE_SECRET_KEY": "acl-test-secret-key-long-enough-0123456789",
        "LABSHARE_MQTT_USERNAME": SERVER_USER,
        "LABSHARE_MQTT_PASSWORD": SERVER_PASSWORD,
        "LABSHARE_DEMO_GATEWAY_SECRET": SECRET_A,
        "LABSHARE_LOG_FORMAT": "console",
    }
    _cli(env, "seed-demo")  # gateway A: demo-gw-01
    with psycopg.connect(database_conninfo) as conn:
        conn.execute(
            "INSERT INTO gateway (key, organisation_id, name, secret_hash, mqtt_password_hash)"
            " SELECT 'gw-b', organisation_id, 'Gateway B', %s, %s FROM gateway"
            " WHERE key = %s",
            (hash_password(SECRET_B), mosquitto_password_hash(SECRET_B), GATEWAY_KEY),
        )
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    _cli(env, "mosquitto-auth", "--passwd", str(passwd), "--acl", str(acl))
    broker: MosquittoBroker = mosquitto_factory(password_file=passwd, acl_file=acl)
    return broker


def _publish_once(broker: MosquittoBroker, user: str, password: str, topic: str) -> str:
    """Publish at QoS 1 on a fresh connection; the broker's PUBACK reason, as text."""
    client, code = _client(broker, user, password)
    assert code == 0
    reasons: queue.Queue[str] = queue.Queue()
    client.on_publish = lambda c, u, mid, rc, p: reasons.put(str(rc))
    try:
        client.publish(topic, batch(1), qos=1)
        return reasons.get(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_gateway_publishes_only_its_own_topics_and_needs_its_secret(
    acl_broker: MosquittoBroker,
) -> None:
    server, code = _client(acl_broker, SERVER_USER, SERVER_PASSWORD)
    assert code == 0
    received: queue.Queue[str] = queue.Queue()
    server.on_message = lambda c, u, m: received.put(m.topic)
    subscribed: queue.Queue[int] = queue.Queue()
    server.on_subscribe = lambda c, u, mid, rcs, p: subscribed.put(mid)
    server.subscribe([("labshare/v1/gw/+/telemetry", 1), ("labshare/v1/live/#", 1)])
    subscribed.get(timeout=10)
    try:
        # B's telemetry and the server's internal live topics are refused to A...
        for forged in (topic_for("gw-b", TopicKind.TELEMETRY), "labshare/v1/live/readings"):
            assert _publish_once(acl_broker, GATEWAY_KEY, SECRET_A, forged) == ("Not authorized")
        # ...its own telemetry goes through, and only that reaches the server.
        own = topic_for(GATEWAY_KEY, TopicKind.TELEMETRY)
        assert _publish_once(acl_broker, GATEWAY_KEY, SECRET_A, own) == "Success"
        assert received.get(timeout=10) == own
        time.sleep(0.5)
        assert received.empty(), "a forged message got through"

        _, refused = _client(acl_broker, GATEWAY_KEY, "not-the-secret")
        assert refused in (134, 135)  # bad user name or password / not authorized
        _, refused_b = _client(acl_broker, "gw-b", SECRET_A)  # A's secret does not open B
        assert refused_b in (134, 135)
    finally:
        server.disconnect()
        server.loop_stop()
