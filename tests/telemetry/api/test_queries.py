"""Series, state timeline and export through the HTTP API, with tenancy."""

from __future__ import annotations

import io
import statistics
from datetime import UTC, datetime, timedelta

import httpx
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI

from server.telemetry.rollups import maintain_rollups
from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Telemetry

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat()


def series_params(channel_id: int, start: datetime, end: datetime, n: int) -> dict[str, str]:
    return {
        "channel_id": str(channel_id),
        "start": iso(start),
        "end": iso(end),
        "max_points": str(n),
    }


async def test_series_has_at_most_n_buckets_with_exact_min_max_mean(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["temperature"]
    assert channel.id is not None
    # One sample a second for an hour, a saw-tooth so every bucket differs.
    values = [(T0 + timedelta(seconds=s), float(s % 97)) for s in range(3600)]
    telemetry.insert(channel.id, values)
    headers = await login("staff@zjim.demo")
    response = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/series",
        params=series_params(channel.id, T0, T0 + timedelta(hours=1), 50),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["t"]) <= 50
    width = body["bucket_seconds"]
    assert width == 120  # 3600 s / 50 = 72 s, rounded up to the next round width
    # Check every bucket against the raw samples.
    for i, t_ms in enumerate(body["t"]):
        start = datetime.fromtimestamp(t_ms / 1000, UTC)
        inside = [v for ts, v in values if start <= ts < start + timedelta(seconds=width)]
        assert body["min"][i] == min(inside)
        assert body["max"][i] == max(inside)
        assert body["mean"][i] == pytest.approx(statistics.fmean(inside))
        assert body["count"][i] == len(inside)
    assert sum(body["count"]) == 3600


async def test_long_range_reads_the_rollup_and_agrees_with_raw(
    app: FastAPI, client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["power"]
    assert channel.id is not None
    values = [(T0 + timedelta(seconds=10 * s), float((s * 7) % 500)) for s in range(6 * 360)]
    telemetry.insert(channel.id, values)
    headers = await login("staff@zjim.demo")
    url = f"/api/v1/instruments/{demo.instrument.id}/series"
    # 10-minute buckets (re-aggregated rollup rows) and 1-minute buckets (rollup rows as is).
    requests = [series_params(channel.id, T0, T0 + timedelta(hours=6), n) for n in (36, 360)]
    raw = [(await client.get(url, params=p, headers=headers)).json() for p in requests]
    assert [r["source"] for r in raw] == ["raw", "raw"]
    assert [r["bucket_seconds"] for r in raw] == [600, 60]
    async with app.state.engine.connect() as conn:
        run = await maintain_rollups(conn, T0 + timedelta(days=1))
    assert run.buckets == 360
    for params, expected in zip(requests, raw, strict=True):
        rolled = (await client.get(url, params=params, headers=headers)).json()
        assert rolled["source"] == "rollup"
        assert rolled["t"] == expected["t"]
        assert rolled["min"] == expected["min"]
        assert rolled["max"] == expected["max"]
        assert rolled["count"] == expected["count"]
        assert rolled["mean"] == pytest.approx(expected["mean"])


async def test_state_timeline_is_clipped_to_the_range(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    telemetry.execute(
        "INSERT INTO instrument_state_interval (instrument_id, state, start_at, end_at) VALUES"
        " (%s, 'idle', %s, %s), (%s, 'running', %s, NULL)",
        (
            demo.instrument.id, T0, T0 + timedelta(hours=1),
            demo.instrument.id, T0 + timedelta(hours=1),
        ),
    )  # fmt: skip
    headers = await login("staff@zjim.demo")
    response = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/states",
        params={"start": iso(T0 + timedelta(minutes=30)), "end": iso(T0 + timedelta(hours=2))},
        headers=headers,
    )
    assert response.status_code == 200
    assert [(s["state"], s["start_at"], s["end_at"]) for s in response.json()] == [
        ("idle", "2026-11-20T00:30:00Z", "2026-11-20T01:00:00Z"),
        ("running", "2026-11-20T01:00:00Z", None),
    ]


async def test_csv_export_has_bom_shanghai_times_and_is_recorded(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["temperature"]
    assert channel.id is not None
    telemetry.insert(channel.id, [(T0, 21.5), (T0 + timedelta(seconds=1), None)])
    headers = await login("staff@zjim.demo")
    response = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/export",
        params={"start": iso(T0), "end": iso(T0 + timedelta(minutes=1)), "format": "csv"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("时间 time (Asia/Shanghai)")
    assert lines[1:] == [
        "2026-11-20T08:00:00.000+08:00,chamber-1/temperature,温度,degC,21.5,ok",
        "2026-11-20T08:00:01.000+08:00,chamber-1/temperature,温度,degC,,ok",
    ]
    recorded = telemetry.execute("SELECT format, range_start, range_end, user_id FROM data_export")
    assert recorded == [("csv", T0, T0 + timedelta(minutes=1), demo.users["staff@zjim.demo"].id)]


async def test_parquet_export_round_trips(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["humidity"]
    assert channel.id is not None
    telemetry.insert(channel.id, [(T0 + timedelta(seconds=s), 40.0 + s) for s in range(10)])
    headers = await login("manager@zjim.demo")
    response = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/export",
        params={
            "start": iso(T0),
            "end": iso(T0 + timedelta(seconds=5)),
            "format": "parquet",
            "channel_id": str(channel.id),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column("value").to_pylist() == [40.0, 41.0, 42.0, 43.0, 44.0]
    first = table.column("time").to_pylist()[0]
    assert first == T0
    assert str(table.schema.field("time").type.tz) == "Asia/Shanghai"


ENDPOINTS = ("series", "states", "export")


def _params(demo: World, endpoint: str) -> dict[str, str]:
    channel_id = demo.channels["temperature"].id
    params = {"start": iso(T0), "end": iso(T0 + timedelta(hours=2))}
    if endpoint == "series":
        params["channel_id"] = str(channel_id)
    return params


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_other_institution_and_enterprise_without_booking_get_404(
    client: httpx.AsyncClient, login: Login, demo: World, endpoint: str
) -> None:
    url = f"/api/v1/instruments/{demo.instrument.id}/{endpoint}"
    for email in ("manager@zju.demo", "buyer@jingce.demo"):
        response = await client.get(url, params=_params(demo, endpoint), headers=await login(email))
        assert response.status_code == 404, (email, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_enterprise_sees_only_data_recorded_during_its_own_booking(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["temperature"]
    assert channel.id is not None
    telemetry.insert(channel.id, [(T0 + timedelta(minutes=m), float(m)) for m in range(120)])
    buyer = demo.users["buyer@jingce.demo"]
    telemetry.booking(
        demo.instrument.id,
        buyer.organisation_id,
        buyer.id,
        T0 + timedelta(minutes=30),
        T0 + timedelta(minutes=60),
    )
    # A cancelled booking opens nothing.
    telemetry.booking(
        demo.instrument.id,
        buyer.organisation_id,
        buyer.id,
        T0 + timedelta(minutes=90),
        T0 + timedelta(minutes=100),
        status="cancelled",
    )
    headers = await login("buyer@jingce.demo")
    base = f"/api/v1/instruments/{demo.instrument.id}"
    series = (
        await client.get(
            f"{base}/series",
            params=series_params(channel.id, T0, T0 + timedelta(hours=2), 1000),
            headers=headers,
        )
    ).json()
    assert sum(series["count"]) == 30
    assert min(v for v in series["min"] if v is not None) == 30.0
    assert max(v for v in series["max"] if v is not None) == 59.0
    exported = await client.get(f"{base}/export", params=_params(demo, "export"), headers=headers)
    assert exported.status_code == 200
    assert len(exported.content.decode("utf-8-sig").splitlines()) == 1 + 30


async def test_range_errors_name_the_field(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    response = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/states",
        params={"start": iso(T0), "end": iso(T0 - timedelta(hours=1))},
        headers=await login("staff@zjim.demo"),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "end", "message": "must be after start"}]
