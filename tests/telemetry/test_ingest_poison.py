"""Hostile or broken gateways cannot stop, divert or flood ingest (real Mosquitto, real worker).

A poison payload is dead-lettered with its reason and acknowledged, the next good message is
stored, values and sequence numbers of the wrong JSON type or order are refused instead of
coerced, a defect in the write loop is survived, a message with hundreds of refused series is
one small record, a gateway flooding refusals costs a bounded number of records,
``/readyz`` says when the worker is not consuming, and ``labshare-server ingest`` exits with an
error when its writer has stopped.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.app import create_app
from server.core.config import Environment, Settings
from server.jobs import JobSettings
from server.telemetry import metrics
from server.telemetry.config import TelemetrySettings
from server.telemetry.validation import DeadLetterLimiter
from server.telemetry.worker import IngestWorker, run_ingest
from tests.harness import MosquittoBroker
from tests.harness.telemetry import (
    Publisher,
    Seeder,
    WorkerFactory,
    eventually,
    forget_session,
    gateway_key,
)

pytestmark = pytest.mark.integration

CHAMBER = {("chamber-1", "temperature"): "degC"}
POISON = b"[" * 1024 + b"]" * 1024  # 2 KiB of nested arrays


def good_batch(gateway: str, first_seq: int, count: int = 3) -> bytes:
    start = int(time.time() * 1000) - 10_000
    samples = [Sample(seq=first_seq + i, ts_ms=start + i * 1000, value=20.0 + i)
               for i in range(count)]  # fmt: skip
    series = Series(device="chamber-1", point="temperature", unit="degC", samples=samples)
    return encode(TelemetryBatch(gateway=gateway, sent_at_ms=start, series=[series]))


def counter(metric: Any, label: str) -> float:
    return float(metric.labels(label)._value.get())


async def test_nested_array_poison_is_dead_lettered_and_good_messages_still_stored(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    gateway = seeder.gateway(key, CHAMBER)
    worker = await start_worker()
    telemetry_topic = topic_for(key, TopicKind.TELEMETRY)
    # The same poison on every topic kind the worker reads, then a good batch.
    publisher.publish(telemetry_topic, POISON)
    publisher.publish(topic_for(key, TopicKind.STATE), POISON)
    publisher.publish(topic_for(key, TopicKind.HEARTBEAT), POISON, qos=1)
    publisher.publish(telemetry_topic, good_batch(key, 1))
    await eventually(lambda: worker.stats.messages_written == 4, what="poison and good handled")

    letters = seeder.query("SELECT topic, gateway_key, reason, payload FROM dead_letter")
    assert len(letters) == 3
    for topic, sender, reason, payload in letters:
        assert topic.startswith(f"labshare/v1/gw/{key}/")
        assert sender == key
        assert reason.startswith("invalid_payload: payload is nested deeper than 5 levels")
        assert bytes(payload) == POISON
    temperature = gateway.channels[("chamber-1", "temperature")]
    assert seeder.query("SELECT channel_id, seq FROM telemetry ORDER BY seq") == [
        (temperature, 1), (temperature, 2), (temperature, 3)
    ]  # fmt: skip
    assert worker.readiness_problem() is None

    # Acknowledged: a worker taking over the session gets nothing again.
    await worker.stop()
    again = await start_worker()
    publisher.publish(telemetry_topic, good_batch(key, 4))
    await eventually(lambda: again.stats.messages_written == 1, what="next good message")
    assert seeder.scalar("SELECT count(*) FROM dead_letter") == 3
    assert again.stats.dead_letters == 0


def _one_sample(gateway: str, rows: str) -> bytes:
    return (
        f'{{"v":1,"gateway":"{gateway}","sent_at_ms":1,"series":[{{"device":"chamber-1",'
        f'"point":"temperature","unit":"degC","samples":[{rows}]}}]}}'
    ).encode()


async def test_coerced_types_and_unordered_sequences_are_dead_lettered_not_stored(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    gateway = seeder.gateway(key, CHAMBER)
    worker = await start_worker()
    ts = int(time.time() * 1000) - 10_000
    # What the decoder used to coerce into readings, each in an otherwise valid batch.
    coerced = [
        _one_sample(key, f'[1,{ts},"12.5","ok"]'),
        _one_sample(key, f'[1,{ts}," 12.5 ","ok"]'),
        _one_sample(key, f'[1,{ts},"1_000","ok"]'),
        _one_sample(key, f'[1,{ts},true,"ok"]'),
        _one_sample(key, f'["5",{ts},12.5,"ok"]'),
        _one_sample(key, f'[5.0,{ts},12.5,"ok"]'),
        _one_sample(key, f'[true,{ts},12.5,"ok"]'),
        _one_sample(key, '[1,"1000",12.5,"ok"]'),
        _one_sample(key, f'[7,{ts},12.5,"ok"],[7,{ts + 1},12.5,"ok"]'),
        _one_sample(key, f'[8,{ts},12.5,"ok"],[6,{ts + 1},12.5,"ok"]'),
    ]
    topic = topic_for(key, TopicKind.TELEMETRY)
    publisher.publish_many([(topic, payload) for payload in coerced])
    publisher.publish(topic, good_batch(key, 100))
    await eventually(
        lambda: worker.stats.messages_written == len(coerced) + 1, what="every message handled"
    )

    letters = seeder.query("SELECT reason, payload FROM dead_letter ORDER BY id")
    assert sorted(bytes(payload) for _, payload in letters) == sorted(coerced)
    assert all(reason.startswith("invalid_payload: ") for reason, _ in letters), letters
    temperature = gateway.channels[("chamber-1", "temperature")]
    assert seeder.query("SELECT channel_id, seq FROM telemetry ORDER BY seq") == [
        (temperature, 100), (temperature, 101), (temperature, 102)
    ]  # fmt: skip


async def test_a_defect_in_the_write_loop_is_counted_and_ingest_goes_on(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    seeder.gateway(key, CHAMBER)
    worker = await start_worker()
    fill = worker._fill
    failures = []

    async def broken_once(items: list[Any]) -> None:
        if not failures:
            failures.append(items)
            raise RuntimeError("a defect in batching")
        await fill(items)

    worker._fill = broken_once  # type: ignore[method-assign]
    before = counter(metrics.ERRORS, "writer")
    topic = topic_for(key, TopicKind.TELEMETRY)
    publisher.publish(topic, good_batch(key, 1))
    await eventually(lambda: worker.stats.errors == 1, what="the defect is met")
    publisher.publish(topic, good_batch(key, 10))
    await eventually(lambda: worker.stats.messages_written == 1, what="the next message")
    assert counter(metrics.ERRORS, "writer") == before + 1
    assert worker.readiness_problem() is None
    assert seeder.scalar("SELECT count(*) FROM telemetry WHERE seq >= 10") == 3


async def test_four_hundred_unknown_points_make_one_small_dead_letter(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    seeder.gateway(key, CHAMBER)
    worker = await start_worker()
    start = int(time.time() * 1000) - 60_000
    series = [
        Series(device="chamber-1", point=f"unknown-point-{i:03d}", unit="degC",
               samples=[Sample(seq=i * 3 + j, ts_ms=start + j * 1000, value=20.5)
                        for j in range(3)])
        for i in range(400)
    ]  # fmt: skip
    message = encode(TelemetryBatch(gateway=key, sent_at_ms=start, series=series))
    assert len(message) > 50_000
    publisher.publish(topic_for(key, TopicKind.TELEMETRY), message)
    await eventually(lambda: worker.stats.messages_written == 1, what="the message handled")

    [(reason, payload_bytes, reason_chars)] = seeder.query(
        "SELECT reason, octet_length(payload), length(reason) FROM dead_letter"
    )
    assert payload_bytes == len(message)
    assert reason_chars < 12_000
    assert reason.startswith("unknown_channel: series chamber-1/unknown-point-000, ")
    assert "chamber-1/unknown-point-399: gateway" in reason
    total = seeder.scalar("SELECT sum(octet_length(payload) + length(reason)) FROM dead_letter")
    assert total < 2 * len(message)  # was 400 copies of the payload (21 MB)


async def test_a_flooding_gateway_gets_a_counted_summary_instead_of_every_payload(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key, quiet = gateway_key(), gateway_key()
    seeder.gateway(key, CHAMBER)
    seeder.gateway(quiet, CHAMBER)
    worker = await start_worker(idle_flush_s=0.2)
    worker.dead_letters = DeadLetterLimiter(per_minute=3, summary_after_s=0.5)
    suppressed_before = counter(metrics.DEAD_LETTERS_SUPPRESSED, "invalid_payload")
    topic = topic_for(key, TopicKind.TELEMETRY)
    publisher.publish_many([(topic, b'{"not": "a batch %d"}' % i) for i in range(20)])
    publisher.publish(topic_for(quiet, TopicKind.TELEMETRY), b"garbage")
    await eventually(lambda: worker.stats.messages_written == 21, what="every message handled")
    await eventually(
        lambda: seeder.scalar("SELECT count(*) FROM dead_letter WHERE payload IS NULL") == 1,
        what="the summary record",
    )
    rows = seeder.query("SELECT gateway_key, reason, payload FROM dead_letter ORDER BY id")
    mine = [r for r in rows if r[0] == key]
    assert [r[2] is None for r in mine] == [False, False, False, True]
    assert mine[3][1].startswith(f"suppressed: 17 dead letters of '{key}' were not stored")
    assert mine[3][1].endswith("(limit 3 a minute): invalid_payload 17")
    # The other gateway's dead letter is unaffected.
    assert [bytes(r[2]) for r in rows if r[0] == quiet] == [b"garbage"]
    assert worker.stats.dead_letters_suppressed == 17
    suppressed = counter(metrics.DEAD_LETTERS_SUPPRESSED, "invalid_payload")
    assert suppressed == suppressed_before + 17


@pytest.fixture
async def app_with_ingest(
    database_url: str, mosquitto: MosquittoBroker
) -> AsyncIterator[tuple[httpx.AsyncClient, IngestWorker]]:
    client_id = f"ingest-readyz-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        environment=Environment.DEVELOPMENT,
        database_url=database_url,
        mqtt_host=mosquitto.host,
        mqtt_port=mosquitto.port,
        ingest_client_id=client_id,
        readiness_timeout_s=2.0,
    )
    app = create_app(settings)
    app.state.job_settings = JobSettings(jobs_enabled=False)
    app.state.telemetry_settings = TelemetrySettings(jobs_enabled=False, live_enabled=False)
    try:
        async with app.router.lifespan_context(app):
            worker = app.state.ingest_worker
            assert isinstance(worker, IngestWorker)
            await worker.wait_subscribed()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client, worker
    finally:
        forget_session(mosquitto, client_id)


async def test_readiness_reports_a_dead_ingest_writer(
    app_with_ingest: tuple[httpx.AsyncClient, IngestWorker],
) -> None:
    client, worker = app_with_ingest
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "ingest": "ok"}

    writer = worker.finished
    assert writer is not None
    writer.cancel()  # what an unhandled exception used to do to the ingest thread
    await eventually(writer.done, what="the writer ended")
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["ingest"] == "ingest writer has stopped"
    assert body["checks"]["broker"] == "ok"


async def test_readiness_reports_an_ingest_worker_off_the_broker(
    app_with_ingest: tuple[httpx.AsyncClient, IngestWorker],
) -> None:
    client, worker = app_with_ingest
    consumer = worker._consumer
    assert consumer is not None
    consumer.connected.clear()  # as on_disconnect does when the broker drops the connection
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert "not connected and subscribed" in response.json()["checks"]["ingest"]


async def test_the_standalone_worker_exits_with_an_error_when_its_writer_stops(
    database_url: str, mosquitto: MosquittoBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `labshare-server ingest` must not live on as a dead thread: it ends with an error, so
    # that its supervisor (systemd, Docker) restarts it.
    started: list[IngestWorker] = []
    start = IngestWorker.start

    async def start_and_record(self: IngestWorker) -> None:
        await start(self)
        started.append(self)

    monkeypatch.setattr(IngestWorker, "start", start_and_record)
    client_id = f"ingest-exit-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        environment=Environment.DEVELOPMENT,
        database_url=database_url,
        mqtt_host=mosquitto.host,
        mqtt_port=mosquitto.port,
        ingest_client_id=client_id,
    )
    loop = asyncio.get_running_loop()
    running = asyncio.create_task(run_ingest(settings))
    try:
        await eventually(lambda: bool(started), what="the worker started")
        writer = started[0].finished
        assert writer is not None
        writer.cancel()  # what an unhandled exception does to the writer
        with pytest.raises(RuntimeError, match="exiting so that it is restarted"):
            await asyncio.wait_for(running, timeout=30)
    finally:
        running.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        forget_session(mosquitto, client_id)
