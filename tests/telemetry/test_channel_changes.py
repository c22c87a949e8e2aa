"""The ingest worker caches each gateway's channels; a channel removed or corrected in the
database takes effect for the very next batch, not when the cache would have aged out."""

from __future__ import annotations

import time

import pytest

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from tests.harness.telemetry import Publisher, Seeder, WorkerFactory, eventually, gateway_key

pytestmark = pytest.mark.integration

POINTS = {("chamber-1", "temperature"): "degC", ("chamber-1", "door"): "dimensionless"}


def _batch(key: str, point: str, seq: int, value: float, unit: str) -> bytes:
    sample = Sample(seq=seq, ts_ms=int(time.time() * 1000) - 1000, value=value)
    series = Series(device="chamber-1", point=point, unit=unit, samples=[sample])
    return encode(TelemetryBatch(gateway=key, sent_at_ms=int(time.time() * 1000), series=[series]))


async def test_readings_stop_going_to_a_deleted_channel_and_follow_a_corrected_unit(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = gateway_key()
    gateway = seeder.gateway(key, POINTS)
    door = gateway.channels[("chamber-1", "door")]
    temperature = gateway.channels[("chamber-1", "temperature")]
    worker = await start_worker()
    topic = topic_for(key, TopicKind.TELEMETRY)

    publisher.publish(topic, _batch(key, "door", 1, 1.0, "dimensionless"))
    publisher.publish(topic, _batch(key, "temperature", 1, 20.0, "degC"))
    await eventually(
        lambda: seeder.scalar("SELECT count(*) FROM telemetry") == 2, what="first readings"
    )
    assert worker.directory.age(key) is not None  # both channels are cached now

    # The manager removes the door channel (its reading goes first, as the API requires) and
    # corrects the temperature channel to kelvin, well inside the cache's 60 s.
    seeder.query("DELETE FROM telemetry WHERE channel_id = %s RETURNING channel_id", (door,))
    seeder.query("DELETE FROM telemetry WHERE channel_id = %s RETURNING channel_id", (temperature,))
    seeder.query("DELETE FROM channel WHERE id = %s RETURNING id", (door,))
    seeder.query(
        "UPDATE channel SET canonical_unit = 'K' WHERE id = %s RETURNING id", (temperature,)
    )

    publisher.publish(topic, _batch(key, "door", 2, 0.0, "dimensionless"))
    publisher.publish(topic, _batch(key, "temperature", 2, 25.0, "degC"))
    await eventually(
        lambda: (
            seeder.scalar("SELECT count(*) FROM dead_letter") == 1
            and seeder.scalar("SELECT count(*) FROM telemetry") == 1
        ),
        what="the door reading refused and the temperature stored",
    )
    # Nothing was stored under the deleted channel's id; the refusal names the point.
    assert seeder.scalar("SELECT count(*) FROM telemetry WHERE channel_id = %s", (door,)) == 0
    [(reason,)] = seeder.query("SELECT reason FROM dead_letter")
    assert reason.startswith("unknown_channel")
    assert "chamber-1/door" in reason
    # 25 °C stored in the channel's new unit.
    value = seeder.scalar("SELECT value FROM telemetry WHERE channel_id = %s", (temperature,))
    assert value == pytest.approx(298.15)
