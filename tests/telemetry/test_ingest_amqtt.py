"""The ingest worker over MQTT 3.1.1: against the demo's amqtt fallback broker, and by setting.

amqtt refuses MQTT 5, so the worker has to fall back to MQTT 3.1.1 with plain subscriptions,
still with a persistent session and acknowledgement after COMMIT.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.core.config import MqttProtocol, Settings
from server.demo.broker import plan_broker
from server.demo.processes import ManagedProcess, free_port, tcp_port_open, wait_until
from server.telemetry.mqtt import broker_speaks_mqtt5
from server.telemetry.worker import IngestWorker
from tests.harness import MosquittoBroker
from tests.harness.telemetry import Seeder, eventually, forget_session

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


@pytest.fixture
def amqtt_port(tmp_path: Path) -> Iterator[int]:
    """The demo's amqtt broker, started as the demo starts it, on a free port."""
    port = free_port()
    broker: ManagedProcess = plan_broker(tmp_path, port, dict(os.environ), mosquitto=None).process
    broker.start()
    try:
        wait_until(lambda: tcp_port_open(port), timeout_s=20, while_alive=broker)
        yield port
    finally:
        broker.stop()


def _publish_311(port: int, topic: str, payload: bytes, host: str = "127.0.0.1") -> None:
    """Publish at QoS 1 the way the edge agent does (MQTT 3.1.1) and wait for PUBACK."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"test-gw-{uuid.uuid4().hex[:8]}",
        protocol=paho.MQTTv311,
    )
    client.connect(host, port)
    client.loop_start()
    try:
        info = client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published(), "amqtt did not acknowledge the batch"
    finally:
        client.disconnect()
        client.loop_stop()


def _batch(gateway: str, first_seq: int, values: list[float]) -> bytes:
    t0 = int(time.time() * 1000) - 10_000
    return encode(
        TelemetryBatch(
            gateway=gateway,
            sent_at_ms=int(time.time() * 1000),
            series=[
                Series(
                    device="chamber-1",
                    point="temperature",
                    unit="degC",
                    samples=[
                        Sample(seq=first_seq + i, ts_ms=t0 + i * 1000 + first_seq, value=v)
                        for i, v in enumerate(values)
                    ],
                )
            ],
        )
    )


async def test_worker_falls_back_to_mqtt_311_and_stores_a_batch_sent_through_amqtt(
    amqtt_port: int,
    database_url: str,
    seeder: Seeder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = f"gw-{uuid.uuid4().hex[:10]}"
    gateway = seeder.gateway(key, {("chamber-1", "temperature"): "degC"})
    channel = gateway.channels[("chamber-1", "temperature")]
    settings = Settings(database_url=database_url, mqtt_host="127.0.0.1", mqtt_port=amqtt_port)
    assert settings.mqtt_protocol == "auto"
    caplog.set_level(logging.WARNING, logger="labshare.ingest.mqtt")
    worker = IngestWorker(settings, client_id=f"ingest-amqtt-{key}")
    await worker.start()
    try:
        await worker.wait_subscribed(20)
        _publish_311(amqtt_port, topic_for(key, TopicKind.TELEMETRY), _batch(key, 1, [21.5]))
        await eventually(
            lambda: (
                seeder.scalar("SELECT count(*) FROM telemetry WHERE channel_id = %s", (channel,))
                == 1
            ),
            what="the batch stored",
        )
        assert (
            seeder.scalar("SELECT value FROM telemetry WHERE channel_id = %s", (channel,)) == 21.5
        )
        assert worker.stats.dead_letters == 0
        assert worker.stats.acks_deferred == 0
    finally:
        await worker.stop()
    unshared = [r for r in caplog.records if "without a shared subscription" in r.getMessage()]
    assert len(unshared) == 1
    assert "run only one ingest worker" in unshared[0].getMessage()


async def test_an_mqtt_311_session_keeps_messages_while_the_worker_is_stopped(
    mosquitto: MosquittoBroker, database_url: str, seeder: Seeder
) -> None:
    # amqtt, as the demo runs it, counts every client as anonymous and keeps no session for
    # them; Mosquitto keeps 3.1.1 sessions, so the persistent session is checked there.
    key = f"gw-{uuid.uuid4().hex[:10]}"
    gateway = seeder.gateway(key, {("chamber-1", "temperature"): "degC"})
    channel = gateway.channels[("chamber-1", "temperature")]
    settings = Settings(
        database_url=database_url,
        mqtt_host=mosquitto.host,
        mqtt_port=mosquitto.port,
        mqtt_protocol=MqttProtocol.V311,
    )
    client_id = f"ingest-311-{key}"
    worker = IngestWorker(settings, client_id=client_id)
    try:
        await worker.start()
        await worker.wait_subscribed(20)
        await worker.stop()

        # Nobody is connected under the worker's id now; the broker keeps its session.
        _publish_311(
            mosquitto.port,
            topic_for(key, TopicKind.TELEMETRY),
            _batch(key, 1, [30.0, 31.0]),
            host=mosquitto.host,
        )

        worker = IngestWorker(settings, client_id=client_id)
        await worker.start()
        await worker.wait_subscribed(20)
        await eventually(
            lambda: (
                seeder.scalar("SELECT count(*) FROM telemetry WHERE channel_id = %s", (channel,))
                == 2
            ),
            what="the batch queued in the session stored",
        )
    finally:
        await worker.stop()
        forget_session(mosquitto, client_id)
    values = seeder.query(
        "SELECT value FROM telemetry WHERE channel_id = %s ORDER BY ts", (channel,)
    )
    assert [v for (v,) in values] == [30.0, 31.0]


def test_the_probe_tells_mqtt5_brokers_from_311_only_ones(
    amqtt_port: int, mosquitto: MosquittoBroker
) -> None:
    assert broker_speaks_mqtt5(mosquitto.host, mosquitto.port) is True
    assert broker_speaks_mqtt5("127.0.0.1", amqtt_port) is False
    # Nobody listening: no answer yet, so the worker keeps asking rather than guessing.
    assert broker_speaks_mqtt5("127.0.0.1", free_port(), timeout_s=1) is None


def test_an_unknown_protocol_setting_names_the_field() -> None:
    with pytest.raises(ValidationError, match="mqtt_protocol"):
        Settings(mqtt_protocol="4")
