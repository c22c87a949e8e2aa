"""The ingest worker against real Mosquitto and PostgreSQL + TimescaleDB."""

from __future__ import annotations

import time

import pytest

from mqtt_contract.v1 import (
    QUALITY_CODES,
    GatewayState,
    Heartbeat,
    Quality,
    Sample,
    Series,
    TelemetryBatch,
    TopicKind,
    encode,
    topic_for,
)
from tests.harness import MosquittoBroker, PostgresCluster
from tests.harness.telemetry import (
    Publisher,
    Seeder,
    WorkerFactory,
    eventually,
    gateway_key,
    ingesting,
)

pytestmark = pytest.mark.integration

CHAMBER = {
    ("chamber-1", "temperature"): "degC",
    ("chamber-1", "power"): "W",
    ("chamber-1", "humidity"): "percent",
}


def now_ms() -> int:
    return int(time.time() * 1000)


def telemetry_payload(gateway: str, series: list[Series], sent_at_ms: int | None = None) -> bytes:
    return encode(TelemetryBatch(gateway=gateway, sent_at_ms=sent_at_ms or now_ms(), series=series))


def temperature_series(
    first_seq: int, count: int, start_ms: int, unit: str = "degC", device: str = "chamber-1"
) -> Series:
    return Series(
        device=device,
        point="temperature",
        unit=unit,
        samples=[
            Sample(seq=first_seq + i, ts_ms=start_ms + i * 1000, value=20.0 + i)
            for i in range(count)
        ],
    )


def count_rows(seeder: Seeder) -> int:
    return int(seeder.scalar("SELECT count(*) FROM telemetry"))


async def test_valid_batch_lands_with_units_converted(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    gateway = seeder.gateway(key, CHAMBER)
    await start_worker()
    t0 = now_ms() - 10_000
    payload = telemetry_payload(
        key,
        [
            Series(
                device="chamber-1", point="temperature", unit="degF",
                samples=[Sample(seq=1, ts_ms=t0, value=212.0), Sample(seq=2, ts_ms=t0 + 1000, value=32.0)],
            ),
            Series(
                device="chamber-1", point="power", unit="kW",
                samples=[Sample(seq=3, ts_ms=t0, value=1.5, quality=Quality.STALE)],
            ),
            Series(
                device="chamber-1", point="humidity", unit="percent",
                samples=[Sample(seq=4, ts_ms=t0, value=None, quality=Quality.COMM_FAIL)],
            ),
        ],
    )  # fmt: skip
    publisher.publish(topic_for(key, TopicKind.TELEMETRY), payload)
    await eventually(lambda: count_rows(seeder) == 4, what="4 telemetry rows")

    rows = seeder.query(
        "SELECT channel_id, (extract(epoch FROM ts) * 1000)::bigint, value, quality, seq"
        " FROM telemetry ORDER BY seq"
    )
    temperature = gateway.channels[("chamber-1", "temperature")]
    power = gateway.channels[("chamber-1", "power")]
    humidity = gateway.channels[("chamber-1", "humidity")]
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        (temperature, t0, QUALITY_CODES[Quality.OK], 1),
        (temperature, t0 + 1000, QUALITY_CODES[Quality.OK], 2),
        (power, t0, QUALITY_CODES[Quality.STALE], 3),
        (humidity, t0, QUALITY_CODES[Quality.COMM_FAIL], 4),
    ]
    assert rows[0][2] == pytest.approx(100.0)
    assert rows[1][2] == pytest.approx(0.0, abs=1e-9)
    assert rows[2][2] == pytest.approx(1500.0)
    assert rows[3][2] is None
    last_seq, last_seen = seeder.query(
        "SELECT last_seq, last_seen_at FROM gateway WHERE id = %s", (gateway.id,)
    )[0]
    assert last_seq == 4
    assert last_seen is not None
    assert seeder.scalar("SELECT count(*) FROM dead_letter") == 0


async def test_redelivered_batch_is_stored_once(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key, topic, worker = await ingesting(seeder, start_worker, CHAMBER)
    t0 = now_ms() - 60_000
    first = telemetry_payload(key, [temperature_series(1, 20, t0)])
    publisher.publish(topic, first)
    await eventually(lambda: count_rows(seeder) == 20, what="first batch")
    # The gateway resends the same batch (its PUBACK was lost), then one overlapping it.
    publisher.publish(topic, first)
    overlapping = telemetry_payload(key, [temperature_series(11, 20, t0 + 10_000)])
    publisher.publish(topic, overlapping)
    await eventually(lambda: worker.stats.messages_written == 3, what="all three messages")
    assert worker.stats.redelivery_batches >= 1
    rows = seeder.query("SELECT seq, value FROM telemetry ORDER BY ts")
    assert [r[0] for r in rows] == list(range(1, 31))
    assert seeder.scalar("SELECT count(*) FROM gateway_seq_gap") == 0
    assert seeder.scalar("SELECT last_seq FROM gateway WHERE key = %s", (key,)) == 30


async def test_each_dead_letter_reason_is_recorded_and_good_series_kept(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key, other, stranger = gateway_key(), gateway_key(), gateway_key()
    gateway = seeder.gateway(key, CHAMBER)
    seeder.gateway(other, {("oven-9", "temperature"): "degC"})
    worker = await start_worker()
    t0 = now_ms() - 5_000
    topic = topic_for(key, TopicKind.TELEMETRY)
    not_json = b'{"v": 1, "gateway": '
    nan = (
        b'{"v":1,"gateway":"' + key.encode() + b'","sent_at_ms":1,"series":[{"device":"chamber-1",'
        b'"point":"temperature","unit":"degC","samples":[[1,1,NaN,"ok"]]}]}'
    )
    mismatch = telemetry_payload(other, [temperature_series(1, 1, t0, device="oven-9")])
    unknown_gateway = telemetry_payload(stranger, [temperature_series(1, 1, t0)])
    mixed = telemetry_payload(
        key,
        [
            temperature_series(100, 3, t0),
            # A device that belongs to another gateway.
            temperature_series(103, 1, t0, device="oven-9"),
            Series(device="chamber-1", point="power", unit="degC",
                   samples=[Sample(seq=104, ts_ms=t0, value=1.0)]),
            Series(device="chamber-1", point="humidity", unit="percent",
                   samples=[Sample(seq=105, ts_ms=now_ms() + 3_600_000, value=50.0)]),
        ],
    )  # fmt: skip
    publisher.publish(topic, not_json)
    publisher.publish(topic, nan)
    publisher.publish(topic, mismatch)
    publisher.publish(topic_for(stranger, TopicKind.TELEMETRY), unknown_gateway)
    publisher.publish(topic, mixed)
    await eventually(lambda: worker.stats.messages_written == 5, what="five messages handled")

    letters = seeder.query(
        "SELECT topic, gateway_key, reason, payload FROM dead_letter ORDER BY id"
    )
    by_reason = {r[2].split(":")[0]: r for r in letters}
    # One record per message: the mixed batch is one record with a reason per refused series.
    assert sorted(r[2].split(":")[0] for r in letters) == sorted(
        ["invalid_payload", "invalid_payload", "gateway_mismatch", "unknown_gateway",
         "unknown_channel"]
    )  # fmt: skip
    invalid = {bytes(r[3]) for r in letters if r[2].startswith("invalid_payload")}
    assert invalid == {not_json, nan}
    assert bytes(by_reason["gateway_mismatch"][3]) == mismatch
    assert by_reason["unknown_gateway"][1] == stranger
    assert bytes(by_reason["unknown_gateway"][3]) == unknown_gateway
    mixed_letter = by_reason["unknown_channel"]
    assert bytes(mixed_letter[3]) == mixed
    assert mixed_letter[1] == key
    for reason, series_name in [
        ("unknown_channel", "oven-9/temperature"),
        ("incompatible_unit", "chamber-1/power"),
        ("future_timestamp", "chamber-1/humidity"),
    ]:
        assert f"{reason}: series {series_name}" in mixed_letter[2]
    # The good series of the mixed batch is stored; nothing of the refused ones is.
    stored = seeder.query("SELECT channel_id, seq FROM telemetry ORDER BY seq")
    temperature = gateway.channels[("chamber-1", "temperature")]
    assert stored == [(temperature, 100), (temperature, 101), (temperature, 102)]


async def test_sequence_gaps_are_recorded_once_and_late_arrivals_stored(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    gateway = seeder.gateway(key, CHAMBER)
    worker = await start_worker()
    t0 = now_ms() - 100_000
    topic = topic_for(key, TopicKind.TELEMETRY)
    publisher.publish(topic, telemetry_payload(key, [temperature_series(1, 3, t0)]))
    await eventually(lambda: worker.stats.messages_written == 1)
    publisher.publish(topic, telemetry_payload(key, [temperature_series(7, 2, t0 + 6000)]))
    await eventually(lambda: worker.stats.messages_written == 2)
    publisher.publish(topic, telemetry_payload(key, [temperature_series(4, 3, t0 + 3000)]))
    await eventually(lambda: worker.stats.messages_written == 3)
    gaps = seeder.query(
        "SELECT first_missing, last_missing FROM gateway_seq_gap WHERE gateway_id = %s",
        (gateway.id,),
    )
    assert gaps == [(4, 6)]
    assert count_rows(seeder) == 8
    assert seeder.scalar("SELECT last_seq FROM gateway WHERE id = %s", (gateway.id,)) == 8


async def test_state_and_heartbeat_update_the_gateway(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    gateway = seeder.gateway(key, CHAMBER)
    worker = await start_worker()

    def status() -> tuple[str, str | None, object]:
        row = seeder.query(
            "SELECT status, config_hash, last_seen_at FROM gateway WHERE id = %s", (gateway.id,)
        )[0]
        return row[0], row[1], row[2]

    assert status()[0] == "unknown"
    birth = GatewayState(gateway=key, status="online", ts_ms=now_ms(), config_hash="cfg-1")
    publisher.publish(topic_for(key, TopicKind.STATE), encode(birth))
    await eventually(lambda: status()[:2] == ("online", "cfg-1"), what="birth")
    death = GatewayState(gateway=key, status="offline", ts_ms=now_ms())
    publisher.publish(topic_for(key, TopicKind.STATE), encode(death))
    # A death carries no config hash: the known one is kept.
    await eventually(lambda: status()[:2] == ("offline", "cfg-1"), what="death")
    seen_at_death = status()[2]
    beat = Heartbeat(gateway=key, ts_ms=now_ms(), spool_depth=0, spool_dropped_total=0, last_seq=0)
    publisher.publish(topic_for(key, TopicKind.HEARTBEAT), encode(beat), qos=0)
    await eventually(lambda: status()[0] == "online", what="heartbeat")
    assert status()[2] > seen_at_death  # type: ignore[operator]
    spoofed = GatewayState(gateway=gateway_key(), status="offline", ts_ms=now_ms())
    publisher.publish(topic_for(key, TopicKind.STATE), encode(spoofed))
    await eventually(lambda: worker.stats.dead_letters == 1, what="spoofed state refused")
    assert status()[0] == "online"


async def test_two_workers_on_one_shared_subscription_store_each_row_once(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    seeder.gateway(key, CHAMBER)
    first = await start_worker("a", share_group="ingest-pair")
    second = await start_worker("b", share_group="ingest-pair")
    t0 = now_ms() - 3_600_000
    topic = topic_for(key, TopicKind.TELEMETRY)
    messages = [
        (topic, telemetry_payload(key, [temperature_series(1 + m * 10, 10, t0 + m * 10_000)]))
        for m in range(200)
    ]
    publisher.publish_many(messages)
    await eventually(lambda: count_rows(seeder) == 2000, what="2000 rows")
    assert first.stats.messages_written + second.stats.messages_written == 200
    assert first.stats.messages_written > 0
    assert second.stats.messages_written > 0
    assert seeder.scalar("SELECT count(DISTINCT seq) FROM telemetry") == 2000
    assert seeder.scalar("SELECT max(seq) FROM telemetry") == 2000
    assert seeder.scalar("SELECT last_seq FROM gateway WHERE key = %s", (key,)) == 2000


async def test_messages_wait_in_the_session_while_the_worker_is_down(
    seeder: Seeder,
    publisher: Publisher,
    start_worker: WorkerFactory,
    mosquitto: MosquittoBroker,
) -> None:
    key, topic, worker = await ingesting(seeder, start_worker, CHAMBER, "persistent")
    t0 = now_ms() - 600_000
    publisher.publish(topic, telemetry_payload(key, [temperature_series(1, 5, t0)]))
    await eventually(lambda: count_rows(seeder) == 5)
    await worker.stop()
    # Published while no worker is connected: the broker keeps them in the worker's session.
    publisher.publish(topic, telemetry_payload(key, [temperature_series(6, 5, t0 + 5000)]))
    publisher.publish(topic, telemetry_payload(key, [temperature_series(11, 5, t0 + 10_000)]))
    await worker.start()
    await eventually(lambda: count_rows(seeder) == 15, what="queued messages after restart")


async def test_database_outage_loses_nothing(
    seeder: Seeder,
    publisher: Publisher,
    start_worker: WorkerFactory,
    pg_cluster: PostgresCluster,
) -> None:
    key, topic, worker = await ingesting(seeder, start_worker, CHAMBER, retry_max_delay_s=0.5)
    t0 = now_ms() - 900_000
    publisher.publish(topic, telemetry_payload(key, [temperature_series(1, 10, t0)]))
    await eventually(lambda: count_rows(seeder) == 10)
    pg_cluster.stop()
    try:
        for m in range(1, 11):
            payload = telemetry_payload(key, [temperature_series(1 + m * 10, 10, t0 + m * 10_000)])
            publisher.publish(topic, payload)
        # Give the worker time to fail and retry against the stopped server.
        await eventually(
            lambda: worker.stats.messages_written == 1 and worker._db_failing, within_s=10
        )
    finally:
        pg_cluster.start()
    await eventually(lambda: count_rows(seeder) == 110, within_s=30, what="rows after restart")
    assert seeder.scalar("SELECT count(DISTINCT seq) FROM telemetry") == 110
    assert seeder.scalar("SELECT count(*) FROM gateway_seq_gap") == 0


async def test_a_message_the_database_refuses_is_set_aside_alone(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    # Collect both messages into one write batch, so the refusal has to be isolated.
    key, topic, worker = await ingesting(seeder, start_worker, CHAMBER, max_wait_s=1.0)
    t0 = now_ms() - 50_000
    good = telemetry_payload(key, [temperature_series(1, 5, t0)])
    # Valid for the contract (no upper bound), but beyond PostgreSQL's bigint.
    too_big = telemetry_payload(key, [temperature_series(2**63, 1, t0 + 10_000)])
    publisher.publish_many([(topic, good), (topic, too_big)])
    await eventually(lambda: worker.stats.messages_written == 2, what="both messages handled")
    assert [r[0] for r in seeder.query("SELECT seq FROM telemetry ORDER BY seq")] == [1, 2, 3, 4, 5]
    [(reason, payload)] = seeder.query("SELECT reason, payload FROM dead_letter")
    assert reason.startswith("storage_rejected: ")
    assert bytes(payload) == too_big
    assert seeder.scalar("SELECT last_seq FROM gateway WHERE key = %s", (key,)) == 5


async def test_stopping_during_an_outage_leaves_the_messages_for_the_next_start(
    seeder: Seeder,
    publisher: Publisher,
    start_worker: WorkerFactory,
    pg_cluster: PostgresCluster,
) -> None:
    key, topic, worker = await ingesting(seeder, start_worker, CHAMBER, retry_max_delay_s=0.5)
    t0 = now_ms() - 1_000_000
    pg_cluster.stop()
    try:
        for m in range(3):
            payload = telemetry_payload(key, [temperature_series(1 + m * 10, 10, t0 + m * 10_000)])
            publisher.publish(topic, payload)
        await eventually(lambda: worker._db_failing, within_s=10, what="the outage noticed")
        started = time.monotonic()
        # The grace period is what a stop waiting on the database would take; far less means
        # it did not wait (a margin a loaded machine cannot eat).
        await worker.stop(grace_s=60)
        assert time.monotonic() - started < 20, "stop waited for the database"
        assert worker.stats.messages_written == 0
    finally:
        pg_cluster.start()
    await worker.start()
    await eventually(lambda: count_rows(seeder) == 30, what="rows written after restart")
    assert seeder.scalar("SELECT count(DISTINCT seq) FROM telemetry") == 30


async def test_worker_resumes_after_the_broker_restarts(
    seeder: Seeder, start_worker: WorkerFactory, mosquitto: MosquittoBroker
) -> None:
    key, topic, worker = await ingesting(seeder, start_worker, CHAMBER)
    t0 = now_ms() - 2_000_000
    before = Publisher(mosquitto)
    try:
        before.publish(topic, telemetry_payload(key, [temperature_series(1, 10, t0)]))
    finally:
        before.close()
    await eventually(lambda: count_rows(seeder) == 10)
    mosquitto.stop()
    mosquitto.start()
    await worker.wait_subscribed(wait_s=20)
    after = Publisher(mosquitto)
    try:
        after.publish(topic, telemetry_payload(key, [temperature_series(11, 10, t0 + 10_000)]))
    finally:
        after.close()
    await eventually(lambda: count_rows(seeder) == 20, what="rows after the broker restart")
    assert seeder.scalar("SELECT count(*) FROM gateway_seq_gap") == 0
