"""A chart at screen resolution: per pixel column the first, lowest, highest and last value
(M4), from the raw samples or the one-minute rollup, and the same either way."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from server.telemetry.rollups import maintain_rollups
from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Telemetry

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def columns(channel_id: int, start: datetime, end: datetime, width: int) -> dict[str, str]:
    return {
        "channel_id": str(channel_id),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "width": str(width),
    }


async def test_each_pixel_column_has_its_first_min_max_and_last_sample(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["temperature"]
    assert channel.id is not None
    # A sample every 7 s for an hour: a sine with a spike, so first/last differ from min/max.
    values = [
        (T0 + timedelta(seconds=7 * k), 50 + 40 * math.sin(k / 9) + (30 if k == 200 else 0))
        for k in range(514)
    ]
    telemetry.insert(channel.id, values)
    headers = await login("staff@zjim.demo")
    end = T0 + timedelta(hours=1)
    answer = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/series",
        params=columns(channel.id, T0, end, 300),
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "raw"
    assert body["bucket_seconds"] == 12  # 3,600 s over 300 pixels
    assert 0 < len(body["t"]) <= 300
    for i, t_ms in enumerate(body["t"]):
        start = datetime.fromtimestamp(t_ms / 1000, UTC)
        inside = [v for ts, v in values if start <= ts < start + timedelta(seconds=12)]
        assert inside, f"column {i} has no samples but was returned"
        assert (body["first"][i], body["last"][i]) == (inside[0], inside[-1])
        assert (body["min"][i], body["max"][i]) == (min(inside), max(inside))
        assert body["count"][i] == len(inside)
    assert sum(body["count"]) == len(values)
    # The spike survives down-sampling: it is some column's maximum.
    assert max(body["max"]) == max(v for _, v in values)


async def test_minute_columns_from_the_rollup_match_the_raw_samples(
    app: FastAPI, client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["power"]
    assert channel.id is not None
    # Six hours at one sample every 10 s: 72 columns of five minutes (the minute rollup) and
    # 12 of thirty minutes (the quarter-hour rollup).
    values = [(T0 + timedelta(seconds=10 * s), float((s * 37) % 500)) for s in range(6 * 360)]
    telemetry.insert(channel.id, values)
    headers = await login("staff@zjim.demo")
    url = f"/api/v1/instruments/{demo.instrument.id}/series"
    requests = [columns(channel.id, T0, T0 + timedelta(hours=6), n) for n in (72, 12)]
    raw = [(await client.get(url, params=p, headers=headers)).json() for p in requests]
    assert [r["source"] for r in raw] == ["raw", "raw"]
    async with app.state.engine.connect() as conn:
        run = await maintain_rollups(conn, T0 + timedelta(days=1))
    assert run.buckets == 6 * 60
    rolled = [(await client.get(url, params=p, headers=headers)).json() for p in requests]
    for by_rollup, by_raw, width in zip(rolled, raw, (72, 12), strict=True):
        assert by_rollup["source"] == "rollup"
        assert len(by_rollup["t"]) == width
        for key in ("t", "first", "min", "max", "last", "count"):
            assert by_rollup[key] == by_raw[key], (width, key)
        assert all(
            math.isclose(a, b) for a, b in zip(by_rollup["mean"], by_raw["mean"], strict=True)
        )
