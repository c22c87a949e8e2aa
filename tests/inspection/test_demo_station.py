"""The demo's shaft-diameter gauge: an in-control baseline, then a drift tripping tests 2 and 3."""

from __future__ import annotations

import itertools

import httpx
import pytest

from server.demo.inspection_station import KNOCKED, baseline, diameters, seed_station
from server.inspection.charts import ChartKind, compute_limits
from server.inspection.rules import evaluate
from server.seed import DemoSeed
from tests.harness.app import API, Login


def test_baseline_is_in_control_and_the_drift_trips_tests_2_and_3() -> None:
    kept = [[v] for i, v in enumerate(baseline()) if i != KNOCKED]
    limits = compute_limits(ChartKind.IMR, 1, kept)
    live = list(itertools.islice(diameters(drift_after=20), 40))
    found = evaluate([limits.z(v) for v in live])
    assert not [v for v in found if v.points[-1] < 20], "alarms before the drift"
    rules = {v.rule for v in found}
    assert {2, 3} <= rules
    first = {r: min(v.points[-1] for v in found if v.rule == r) for r in (2, 3)}
    assert first[3] < 20 + 10 and first[2] < 20 + 12  # within a dozen parts of the drift


@pytest.mark.integration
async def test_station_seeds_a_characteristic_with_limits_version_1_once(
    client: httpx.AsyncClient, login: Login, demo: DemoSeed
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
