"""An X̄-S chart (subgroups of 12) through the HTTP API: Phase 1 limits, then Phase 2 alarms.

The expected limits are computed here from the subgroups' means and standard deviations and the
published constants for n = 12 (Montgomery, *Introduction to Statistical Quality Control*,
Appendix VI; the same four-decimal c4 and three-decimal A3, B3, B4 as ISO 7870-2 Table 2),
not from the server's own constants table.
"""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.harness.app import API, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
N = 12
# Published X-bar-S constants for subgroups of 12 (rounded as printed in the tables).
C4, A3, B3, B4 = 0.9776, 0.886, 0.354, 1.646


def subgroup(name: str, minute: int, values: list[float]) -> list[dict[str, Any]]:
    ts = (T0 + timedelta(minutes=minute)).isoformat()
    return [{"ts": ts, "value": v, "subgroup": name, "part": f"{name}-{i}"}
            for i, v in enumerate(values)]  # fmt: skip


async def post(client: httpx.AsyncClient, headers: dict[str, str], cid: str,
               rows: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    response = await client.post(
        f"{API}/inspection/characteristics/{cid}/results",
        json={"station": "cmm-2", "results": rows},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_xbar_s_limits_follow_the_published_constants_and_phase_2_raises_alarms(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    manager = await login("manager@zjim.demo")
    created = await client.post(
        f"{API}/inspection/characteristics",
        json={"product": "housing-7", "key": "bore", "name": "Bore diameter", "unit": "mm",
              "nominal": 40.0, "lsl": 39.95, "usl": 40.05, "chart": "xbar_s",
              "subgroup_size": N},
        headers=manager,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    cid = created.json()["id"]

    # Phase 1: 25 subgroups of 12 parts, in control.
    rng = random.Random(12)
    baseline = [[40.0 + rng.gauss(0, 0.004) for _ in range(N)] for _ in range(25)]
    rows = [row for g, values in enumerate(baseline) for row in subgroup(f"S{g}", g, values)]
    stored = await post(client, manager, cid, rows)
    assert (stored["stored"], stored["points"]) == (300, 25)

    means = [statistics.fmean(values) for values in baseline]
    sds = [statistics.stdev(values) for values in baseline]
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    # The chart plots each subgroup's mean and its standard deviation (S, not the range).
    assert chart["points"]["subgroup"] == [f"S{g}" for g in range(25)]
    assert chart["points"]["location"] == pytest.approx(means, rel=1e-12)
    assert chart["points"]["spread"] == pytest.approx(sds, rel=1e-9)
    assert chart["points"]["limits_version"] == [None] * 25

    frozen = await client.post(
        f"{API}/inspection/characteristics/{cid}/limits",
        json={"baseline_first": 0, "baseline_last": 24},
        headers=manager,
    )
    assert frozen.status_code == 201, frozen.text
    limits = frozen.json()
    x_bar_bar, s_bar = statistics.fmean(means), statistics.fmean(sds)
    assert limits["version"] == 1
    assert limits["points"] == 25
    assert limits["sigma_estimator"] == "s-bar / c4(12)"
    assert limits["center"] == pytest.approx(x_bar_bar, rel=1e-12)
    assert limits["spread_center"] == pytest.approx(s_bar, rel=1e-9)
    # The tables' rounding (half a unit in the last printed digit) bounds the difference.
    assert limits["ucl"] == pytest.approx(x_bar_bar + A3 * s_bar, abs=0.0005 * s_bar)
    assert limits["lcl"] == pytest.approx(x_bar_bar - A3 * s_bar, abs=0.0005 * s_bar)
    assert limits["spread_ucl"] == pytest.approx(B4 * s_bar, abs=0.0005 * s_bar)
    assert limits["spread_lcl"] == pytest.approx(B3 * s_bar, abs=0.0005 * s_bar)
    assert limits["sigma_within"] == pytest.approx(s_bar / C4, rel=6e-5)
    # The limits sit 3 sigma of a subgroup mean from the centre line.
    assert limits["ucl"] - limits["center"] == pytest.approx(
        3 * limits["sigma_within"] / N**0.5, rel=1e-9
    )

    # Phase 2: a typical spread (the baseline subgroup whose S is nearest S-bar), first around
    # the centre line (quiet), then shifted to 1.5 times the distance to the upper limit.
    typical = min(range(25), key=lambda g: abs(sds[g] - s_bar))
    deviations = [v - means[typical] for v in baseline[typical]]
    centre, ucl = limits["center"], limits["ucl"]
    quiet = await post(client, manager, cid, subgroup("P0", 30, [centre + d for d in deviations]))
    assert (quiet["points"], quiet["alarms_raised"]) == (1, [])
    shifted = centre + 1.5 * (ucl - centre)
    high = await post(client, manager, cid, subgroup("P1", 31, [shifted + d for d in deviations]))
    assert high["points"] == 1
    assert len(high["alarms_raised"]) == 1
    # And a subgroup centred on the line whose S is twice S-bar: the S chart's limit.
    wide = [centre + 2 * s_bar / sds[typical] * d for d in deviations]
    spread = await post(client, manager, cid, subgroup("P2", 32, wide))
    assert len(spread["alarms_raised"]) == 1

    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    points = chart["points"]
    assert points["subgroup"][25:] == ["P0", "P1", "P2"]
    assert points["limits_version"][25:] == [1, 1, 1]
    assert points["location"][26] > ucl
    assert points["z"][26] == pytest.approx(4.5)
    assert points["rules"][25:27] == [[], [1]]
    assert points["spread_out"][25:] == [False, False, True]
    assert points["spread"][27] == pytest.approx(2 * s_bar)
    assert [lim["version"] for lim in chart["limits"]] == [1]

    alarms = (
        await client.get(
            f"{API}/inspection/alarms", params={"characteristic_id": cid}, headers=manager
        )
    ).json()
    found = {(a["kind"], a["rule"]): a for a in alarms}
    assert set(found) == {("rule", 1), ("spread", None)}
    assert found[("rule", 1)]["positions"] == [26]
    assert found[("rule", 1)]["limits_version"] == 1
    assert "Nelson test 1" in found[("rule", 1)]["message"]
    assert found[("spread", None)]["positions"] == [27]
    assert "S chart" in found[("spread", None)]["message"]
