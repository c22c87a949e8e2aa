"""The demo's shaft-diameter gauge: an in-control baseline, then a drift tripping tests 2 and 3."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import psycopg
import pytest

from server.demo.inspection_station import (
    KNOCKED,
    baseline,
    diameters,
    publish_parts,
    seed_station,
)
from server.inspection.charts import ChartKind, compute_limits
from server.inspection.rules import evaluate
from tests.harness import MosquittoBroker
from tests.harness.app import API, Login
from tests.harness.factories import World
from tests.harness.telemetry import WorkerFactory, eventually


def test_baseline_is_in_control_and_the_drift_trips_tests_2_and_3() -> None:
    kept = [[v] for i, v in enumerate(baseline()) if i != KNOCKED]
    limits = compute_limits(ChartKind.IMR, 1, kept)
    live = list(itertools.islice(diameters(drift_after=20), 40))
    found = evaluate([limits.z(v) for v in live])
    assert not [v for v in found if v.points[-1] < 20], "alarms before the drift"
    rules = {v.rule for v in found}
    assert {2, 3} <= rules
    first = {r: min(v.points[-1] for v in found if v.rule == r) for r in (2, 3)}
    assert first[3] < 20 + 10
    assert first[2] < 20 + 12


@pytest.mark.integration
async def test_station_seeds_a_characteristic_with_limits_version_1_once(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    headers = await login("manager@zjim.demo")
    cid = await seed_station(client, headers)
    again = await seed_station(client, headers)
    assert again == cid
    limits = (
        await client.get(f"{API}/inspection/characteristics/{cid}/limits", headers=headers)
    ).json()
    assert [v["version"] for v in limits] == [1]
    assert limits[0]["exclusions"] == [
        {"position": KNOCKED, "reason": "probe knocked during loading; re-zeroed"}
    ]
    assert limits[0]["points"] == 29


@pytest.mark.integration
async def test_demo_gauge_drifts_into_rule_2_and_3_alarms_through_mqtt_and_ingest(
    client: httpx.AsyncClient,
    login: Login,
    demo: World,
    mosquitto: MosquittoBroker,
    start_worker: WorkerFactory,
    database_conninfo: str,
) -> None:
    headers = await login("manager@zjim.demo")
    cid = await seed_station(client, headers)
    await start_worker()
    await asyncio.to_thread(
        publish_parts, mosquitto.host, mosquitto.port, demo.gateway.key, "unused", 0.0, 20, 40
    )

    def alarms() -> set[int]:
        with psycopg.connect(database_conninfo) as conn:
            rows = conn.execute(
                "SELECT rule FROM inspection_alarm WHERE characteristic_id = %s AND kind = 'rule'",
                (cid,),
            ).fetchall()
        return {r[0] for r in rows}

    def points() -> int:
        with psycopg.connect(database_conninfo) as conn:
            row = conn.execute(
                "SELECT count(*) FROM inspection_point WHERE characteristic_id = %s", (cid,)
            ).fetchone()
        return int(row[0]) if row else 0

    await eventually(lambda: points() == 70, what="30 baseline and 40 live points")
    assert {2, 3} <= alarms()
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=headers)
    ).json()
    live = chart["points"]["limits_version"][30:]
    assert live == [1] * 40  # every live part judged against the seeded limits version
    first_alarm = min(
        p
        for p, rules in zip(chart["points"]["position"], chart["points"]["rules"], strict=True)
        if rules
    )
    assert first_alarm >= 30 + 20  # nothing before the drift
