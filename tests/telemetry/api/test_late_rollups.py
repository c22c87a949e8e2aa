"""Samples that arrive hours late (a gateway's spool draining) reach the one-minute rollup."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.telemetry.jobs import TelemetryJobs
from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Publisher, Telemetry, WorkerFactory, eventually


def _value(second: int) -> float:
    return float(second % 53) * 0.5


def raw_minutes(telemetry: Telemetry, channel_id: int, start: datetime) -> list[tuple[Any, ...]]:
    """Per minute of the hour: (epoch ms, min, max, mean, count) straight from the raw table."""
    return telemetry.execute(
        "SELECT (extract(epoch FROM date_trunc('minute', ts)) * 1000)::bigint AS m,"
        " min(value), max(value), avg(value), count(value) FROM telemetry"
        " WHERE channel_id = %s AND ts >= %s AND ts < %s GROUP BY m ORDER BY m",
        (channel_id, start, start + timedelta(hours=1)),
    )


async def test_late_samples_reach_the_chart_after_the_rollup_job(
    app: FastAPI,
    client: httpx.AsyncClient,
    login: Login,
    demo: World,
    telemetry: Telemetry,
    publisher: Publisher,
    start_worker: WorkerFactory,
) -> None:
    channel = demo.channels["temperature"]
    assert channel.id is not None
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    # Before the outage: the hour's first ten minutes, and samples up to now, are rolled up.
    telemetry.insert(channel.id, [(hour + timedelta(seconds=s), _value(s)) for s in range(600)])
    telemetry.insert(channel.id, [(now - timedelta(minutes=m), 1.0) for m in range(2, 30)])
    jobs = TelemetryJobs(app.state.engine, timescaledb=bool(app.state.timescaledb))
    await jobs.run_rollups()

    # The gateway's spool drains the rest of the hour, from 5.5 minutes in (overlapping
    # minutes already rolled up), through the ingest worker.
    await start_worker()
    key = demo.gateway.key
    late = list(range(330, 3600))
    for first in range(0, len(late), 500):
        seconds = late[first : first + 500]
        batch = TelemetryBatch(
            gateway=key,
            sent_at_ms=int(time.time() * 1000),
            series=[
                Series(
                    device="chamber-1",
                    point="temperature",
                    unit="degC",
                    samples=[
                        Sample(
                            seq=10_000 + s,
                            ts_ms=int((hour + timedelta(seconds=s)).timestamp() * 1000),
                            value=_value(s),
                        )
                        for s in seconds
                    ],
                )
            ],
        )
        publisher.publish(topic_for(key, TopicKind.TELEMETRY), encode(batch))
    expected_rows = 600 + len(set(late) - set(range(600)))

    def stored() -> bool:
        rows = telemetry.execute(
            "SELECT count(*) FROM telemetry WHERE channel_id = %s AND ts >= %s AND ts < %s",
            (channel.id, hour, hour + timedelta(hours=1)),
        )
        return bool(rows[0][0] == expected_rows)

    await eventually(stored, what="the drained spool stored")

    headers = await login("staff@zjim.demo")
    params = {
        "channel_id": str(channel.id),
        "start": hour.isoformat(),
        "end": (hour + timedelta(hours=1)).isoformat(),
        "max_points": "60",
    }
    url = f"/api/v1/instruments/{demo.instrument.id}/series"
    raw = raw_minutes(telemetry, channel.id, hour)
    assert len(raw) == 60

    before = (await client.get(url, params=params, headers=headers)).json()
    assert before["source"] == "rollup"
    assert len(before["t"]) == 10, "the late samples were rolled up before the job ran"

    await jobs.run_rollups()
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "rollup"
    assert body["bucket_seconds"] == 60
    assert body["t"] == [r[0] for r in raw]
    assert body["min"] == [r[1] for r in raw]
    assert body["max"] == [r[2] for r in raw]
    assert body["mean"] == [float(r[3]) for r in raw]
    assert body["count"] == [r[4] for r in raw]
    assert telemetry.execute("SELECT count(*) FROM telemetry_rollup_pending") == [(0,)]

    # The quarter-hour rollup (charts of a month) took the late samples in as well: four
    # pixel columns over the hour agree with the raw samples.
    quarters = telemetry.execute(
        "SELECT min(value), max(value), count(value),"
        " (array_agg(value ORDER BY ts))[1], (array_agg(value ORDER BY ts DESC))[1]"
        " FROM (SELECT floor(extract(epoch FROM ts - %s) / 900) AS q, ts, value FROM telemetry"
        "       WHERE channel_id = %s AND ts >= %s AND ts < %s) AS samples"
        " GROUP BY q ORDER BY q",
        (hour, channel.id, hour, hour + timedelta(hours=1)),
    )
    columns = {**params, "width": "4"}
    pixels = (await client.get(url, params=columns, headers=headers)).json()
    assert pixels["source"] == "rollup"
    assert pixels["bucket_seconds"] == 900
    assert [
        (
            pixels["min"][i],
            pixels["max"][i],
            pixels["count"][i],
            pixels["first"][i],
            pixels["last"][i],
        )
        for i in range(4)
    ] == [tuple(q) for q in quarters]
