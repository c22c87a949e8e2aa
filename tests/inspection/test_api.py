"""The inspection API on a real database: Phase 1 baseline, Phase 2 judging, alarms, capability."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def shaft(**overrides: Any) -> dict[str, Any]:
    body = {
        "product": "shaft-40", "key": "diameter", "name": "Shaft diameter", "unit": "mm",
        "nominal": 25.0, "lsl": 24.97, "usl": 25.03, "chart": "imr", "subgroup_size": 1,
    }  # fmt: skip
    body.update(overrides)
    return body


def results(values: list[float], start: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "station": "gauge-1",
        "results": [
            {"ts": (T0 + timedelta(minutes=start + i)).isoformat(), "value": v, **extra}
            for i, v in enumerate(values)
        ],
    }


async def create(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> str:
    response = await client.post(
        f"{API}/inspection/characteristics", json=shaft(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_baseline_then_drift_raises_rule_alarms_and_notifies(
    client: httpx.AsyncClient, login: Login, demo: World, database_conninfo: str
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager)
    rng = random.Random(3)
    baseline = [25.0 + rng.gauss(0, 0.004) for _ in range(30)]
    baseline[12] = 25.05  # a tool change: excluded from the baseline for that reason
    stored = await client.post(
        f"{API}/inspection/characteristics/{cid}/results", json=results(baseline), headers=manager
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["points"] == 30
    # Out of specification in Phase 1 already: an alarm (no control limits yet).
    alarms = (
        await client.get(f"{API}/inspection/alarms", params={"open": True}, headers=manager)
    ).json()
    assert [a["kind"] for a in alarms] == ["out_of_spec"]

    frozen = await client.post(
        f"{API}/inspection/characteristics/{cid}/limits",
        json={"baseline_first": 0, "baseline_last": 29,
              "exclusions": [{"position": 12, "reason": "tool change after breakage"}]},
        headers=manager,
    )  # fmt: skip
    assert frozen.status_code == 201, frozen.text
    limits = frozen.json()
    assert limits["version"] == 1
    assert limits["points"] == 29
    assert limits["exclusions"] == [{"position": 12, "reason": "tool change after breakage"}]
    kept = [v for i, v in enumerate(baseline) if i != 12]
    assert limits["center"] == pytest.approx(sum(kept) / len(kept))
    mr_bar = sum(abs(b - a) for a, b in itertools.pairwise(kept)) / (len(kept) - 1)
    assert limits["ucl"] == pytest.approx(limits["center"] + 3 * mr_bar / 1.12838, rel=1e-6)
    assert limits["sigma_estimator"] == "MR-bar / d2(2)"

    # Phase 2: a steady upward drift inside the specification.
    centre, sigma = limits["center"], (limits["ucl"] - limits["center"]) / 3
    drift = [centre + sigma * (0.2 + 0.25 * i) for i in range(9)]
    judged = await client.post(
        f"{API}/inspection/characteristics/{cid}/results",
        json=results(drift, start=30),
        headers=manager,
    )
    assert judged.status_code == 201
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    points = chart["points"]
    assert points["position"] == list(range(39))
    assert points["limits_version"][:30] == [None] * 30
    assert set(points["limits_version"][30:]) == {1}
    assert [lim["version"] for lim in chart["limits"]] == [1]
    # z is the point's distance from the centre line in sigma, as the rules saw it.
    from server.inspection.charts import ChartKind, Limits

    version1 = Limits(ChartKind.IMR, 1, limits["center"], limits["ucl"], limits["lcl"], 0, 0, 0,
                      limits["sigma_within"], "", 0)  # fmt: skip
    assert points["z"][:30] == [None] * 30
    assert points["z"][30:] == [version1.z(x) for x in points["location"][30:]]
    assert 3 in points["rules"][35]  # sixth rising point
    assert 2 in points["rules"][38]  # ninth point above the centre line
    alarms = (
        await client.get(
            f"{API}/inspection/alarms", params={"characteristic_id": cid}, headers=manager
        )
    ).json()
    rule_alarms = {a["rule"]: a for a in alarms if a["kind"] == "rule"}
    assert {2, 3} <= set(rule_alarms)
    assert rule_alarms[3]["positions"][0] == 35
    assert rule_alarms[3]["occurrences"] == 4  # points 35..38 each complete a rising run

    with psycopg.connect(database_conninfo) as conn:
        outbox = conn.execute(
            "SELECT o.kind, u.email, o.body FROM outbox o JOIN app_user u ON u.id = o.user_id"
            " WHERE o.kind = 'inspection_alarm' ORDER BY o.id"
        ).fetchall()
    assert {email for _, email, _ in outbox} == {"manager@zjim.demo"}
    assert any("Nelson test 2" in body for _, _, body in outbox)
    assert any("Nelson test 3" in body for _, _, body in outbox)
    assert len(outbox) == len(alarms)  # one message per alarm, not per violating point

    # Acknowledge with cause and action: closed, kept in the record, a repeat is a conflict.
    aid = rule_alarms[3]["id"]
    ack = await client.post(f"{API}/inspection/alarms/{aid}/acknowledge",
                            json={"cause": "tool wear", "action": "insert replaced"}, headers=manager)  # fmt: skip
    assert ack.status_code == 200, ack.text
    assert ack.json()["cause"] == "tool wear"
    assert ack.json()["acknowledged_at"]
    again = await client.post(f"{API}/inspection/alarms/{aid}/acknowledge",
                              json={"cause": "x", "action": "y"}, headers=manager)  # fmt: skip
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    open_now = (
        await client.get(f"{API}/inspection/alarms", params={"open": True}, headers=manager)
    ).json()
    assert aid not in {a["id"] for a in open_now}
    record = (
        await client.get(
            f"{API}/inspection/alarms", params={"characteristic_id": cid}, headers=manager
        )
    ).json()
    [kept] = [a for a in record if a["id"] == aid]
    assert (kept["cause"], kept["action"]) == ("tool wear", "insert replaced")

    cap = await client.get(f"{API}/inspection/characteristics/{cid}/capability", headers=manager)
    assert cap.status_code == 200, cap.text
    body = cap.json()
    assert body["n"] == 39
    assert body["out_of_spec"] == 1
    assert body["limits_version"] == 1
    assert body["sigma_within"] == pytest.approx(limits["sigma_within"])
    assert body["cp"] == pytest.approx(0.06 / (6 * limits["sigma_within"]))
    assert body["cp_ci"]["low"] < body["cp"] < body["cp_ci"]["high"]
    assert sum(body["histogram_counts"]) == 39
    # The list's current capability: the same over the latest (here all 39) results.
    listed = (await client.get(f"{API}/inspection/characteristics", headers=manager)).json()
    [item] = [c for c in listed if c["id"] == cid]
    assert item["current_n"] == 39
    assert item["current_cpk"] == pytest.approx(body["cpk"])
    assert item["current_ppk"] == pytest.approx(body["ppk"])

    # A new limits version: older points keep the version they were judged against.
    second = await client.post(
        f"{API}/inspection/characteristics/{cid}/limits",
        json={"baseline_first": 0, "baseline_last": 11},
        headers=manager,
    )
    assert second.status_code == 201
    assert second.json()["version"] == 2
    await client.post(
        f"{API}/inspection/characteristics/{cid}/results",
        json=results([centre], start=60),
        headers=manager,
    )
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    assert chart["points"]["limits_version"][30:] == [1] * 9 + [2]
    assert [lim["version"] for lim in chart["limits"]] == [1, 2]
    versions = (
        await client.get(f"{API}/inspection/characteristics/{cid}/limits", headers=manager)
    ).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["center"] == limits["center"]  # version 1 unchanged
    refused = await client.post(
        f"{API}/inspection/characteristics/{cid}/limits",
        json={
            "baseline_first": 5,
            "baseline_last": 8,
            "exclusions": [{"position": 2, "reason": "x"}],
        },
        headers=manager,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM


async def test_xbar_r_subgroups_are_plotted_when_complete(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager, key="length", chart="xbar_r", subgroup_size=3)
    body = {"results": [
        {"ts": T0.isoformat(), "value": 25.0, "subgroup": "A"},
        {"ts": T0.isoformat(), "value": 25.01, "subgroup": "B"},
        {"ts": T0.isoformat(), "value": 25.02, "subgroup": "A"},
    ]}  # fmt: skip
    first = await client.post(
        f"{API}/inspection/characteristics/{cid}/results", json=body, headers=manager
    )
    assert first.json() == {"stored": 3, "duplicates": 0, "points": 0, "alarms_raised": []}
    last = {"results": [{"ts": T0.isoformat(), "value": 25.004, "subgroup": "A"}]}
    second = await client.post(
        f"{API}/inspection/characteristics/{cid}/results", json=last, headers=manager
    )
    assert second.json()["points"] == 1
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    assert chart["points"]["subgroup"] == ["A"]
    assert chart["points"]["location"][0] == pytest.approx((25.0 + 25.02 + 25.004) / 3)
    assert chart["points"]["spread"][0] == pytest.approx(0.02)
    missing = await client.post(f"{API}/inspection/characteristics/{cid}/results",
                                json={"results": [{"ts": T0.isoformat(), "value": 1.0}]}, headers=manager)  # fmt: skip
    assert missing.status_code == 422
    assert "subgroup" in missing.text


async def test_other_institutions_see_nothing_and_bad_input_is_a_problem(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager)
    other = await login("manager@zju.demo")
    assert (
        await client.get(f"{API}/inspection/characteristics/{cid}", headers=other)
    ).status_code == 404
    assert (await client.get(f"{API}/inspection/characteristics", headers=other)).json() == []
    bad = await client.post(
        f"{API}/inspection/characteristics", json=shaft(lsl=26.0), headers=manager
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM
    unit = await client.post(f"{API}/inspection/characteristics/{cid}/results",
                             json=results([25.0], unit="degC"), headers=manager)  # fmt: skip
    assert unit.status_code == 422
    assert unit.headers["content-type"] == PROBLEM
    inches = await client.post(f"{API}/inspection/characteristics/{cid}/results",
                               json=results([1.0], unit="inch"), headers=manager)  # fmt: skip
    assert inches.status_code == 201
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    assert chart["points"]["location"] == [pytest.approx(25.4)]
    huge = await client.post(
        f"{API}/inspection/characteristics/{cid}/results", json=results([1e300]), headers=manager
    )
    assert huge.status_code == 422
    assert "value" in huge.text
    # The station must be one of the institution's own instruments.
    own = await client.post(
        f"{API}/inspection/characteristics",
        json=shaft(key="own", instrument_id=str(demo.instrument.id)),
        headers=manager,
    )
    assert own.status_code == 201
    foreign = await client.post(
        f"{API}/inspection/characteristics",
        json=shaft(key="foreign", instrument_id=str(demo.instrument.id)),
        headers=other,
    )
    assert foreign.status_code == 422
    duplicate = await client.post(
        f"{API}/inspection/characteristics", json=shaft(), headers=manager
    )
    assert duplicate.status_code == 409


async def test_chart_of_10000_subgroups_comes_whole_and_in_order(
    client: httpx.AsyncClient, login: Login, demo: World, database_conninfo: str
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager)
    with psycopg.connect(database_conninfo) as conn:
        conn.execute(
            "INSERT INTO inspection_point (characteristic_id, position, ts, n, location, spread,"
            " limits_version, z, rules, out_of_spec)"
            " SELECT %s, g, now() + g * interval '1 s', 1, 25 + random() / 100, random() / 100,"
            " NULL, NULL, '{}', false FROM generate_series(0, 9999) g",
            (cid,),
        )
    # Its speed is a benchmark figure (benchmarks/inspection_spc.py), not a timed test.
    url = f"{API}/inspection/characteristics/{cid}/chart"
    response = await client.get(url, headers=manager)
    assert response.status_code == 200
    body = response.json()["points"]
    assert body["position"] == list(range(10_000))
    assert len(body["ts_ms"]) == len(body["location"]) == len(body["rules"]) == 10_000


async def test_a_subgroup_spread_beyond_the_range_chart_limit_raises_a_spread_alarm(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager, key="bore", chart="xbar_r", subgroup_size=4)
    rng = random.Random(5)
    baseline = {
        "results": [
            {"ts": (T0 + timedelta(minutes=g)).isoformat(), "value": 25 + rng.gauss(0, 0.002),
             "subgroup": f"G{g}"}
            for g in range(20) for _ in range(4)
        ]
    }  # fmt: skip
    assert (
        await client.post(
            f"{API}/inspection/characteristics/{cid}/results", json=baseline, headers=manager
        )
    ).json()["points"] == 20
    frozen = await client.post(
        f"{API}/inspection/characteristics/{cid}/limits",
        json={"baseline_first": 0, "baseline_last": 19},
        headers=manager,
    )
    limits = frozen.json()
    assert limits["sigma_estimator"] == "R-bar / d2(4)"
    assert limits["spread_ucl"] == pytest.approx(
        2.28206 * limits["spread_center"], rel=1e-4
    )  # D4(4)
    # Same mean, 2.5 times the usual range (D4 is 2.28): the X-bar chart is quiet, R is not.
    r = limits["spread_center"] * 2.5
    wide = {"results": [{"ts": T0.isoformat(), "value": limits["center"] + d, "subgroup": "W"}
                        for d in (-r / 2, r / 2, -r / 6, r / 6)]}  # fmt: skip
    await client.post(f"{API}/inspection/characteristics/{cid}/results", json=wide, headers=manager)
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    assert chart["points"]["spread_out"][-1] is True
    assert chart["points"]["rules"][-1] == []
    alarms = (
        await client.get(
            f"{API}/inspection/alarms", params={"characteristic_id": cid}, headers=manager
        )
    ).json()
    assert [(a["kind"], a["positions"]) for a in alarms] == [("spread", [20])]
    assert "range chart" in alarms[0]["message"]


async def test_results_posted_again_with_their_ids_are_stored_once(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager, key="mass")
    url = f"{API}/inspection/characteristics/{cid}/results"
    body = results([25.0, 25.001, 25.002])
    for i, item in enumerate(body["results"]):
        item["id"] = f"R-{i}"
    first = await client.post(url, json=body, headers=manager)
    assert first.json() == {"stored": 3, "duplicates": 0, "points": 3, "alarms_raised": []}
    # The station timed out and posts again, with one new result and one repeated in the request.
    body["results"].append({**body["results"][0], "id": "R-3", "value": 25.003})
    body["results"].append(dict(body["results"][-1]))
    again = await client.post(url, json=body, headers=manager)
    assert again.json() == {"stored": 1, "duplicates": 4, "points": 1, "alarms_raised": []}
    chart = (
        await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=manager)
    ).json()
    assert chart["points"]["location"] == [25.0, 25.001, 25.002, 25.003]
    # Without ids nothing is deduplicated: the same values are new results.
    plain = await client.post(url, json=results([25.0]), headers=manager)
    assert plain.json()["stored"] == 1


async def test_capability_of_degenerate_results_is_an_answer_not_a_server_error(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager)
    # Identical values (no spread at all), then values near the bottom of the float range.
    for values in ([25.0] * 10, [2.2e-198, 3.3e-131, 25.001, 24.999] * 3):
        stored = await client.post(
            f"{API}/inspection/characteristics/{cid}/results",
            json=results(values, start=0 if values[0] == 25.0 else 10),
            headers=manager,
        )
        assert stored.status_code in (200, 201), stored.text
        answer = await client.get(
            f"{API}/inspection/characteristics/{cid}/capability", headers=manager
        )
        assert answer.status_code == 200, answer.text
    # What the API fuzz test posted: times from antiquity with odd offsets, extreme values.
    odd = {
        "results": [
            {"ts": "0368-06-10T17:56:54-04:52", "value": 2.2070540523228516e-198, "subgroup": "A"},
            {"ts": "0083-06-12T10:40:05.449-23:43", "id": "0", "value": 3.29e-131, "part": "p"},
            {"ts": "1710-08-24T18:17:32Z", "value": 652340906245.831},
            {"ts": "0122-11-15T19:36:21.107729Z", "value": 3.33598, "id": ">T"},
        ]
    }
    stored = await client.post(
        f"{API}/inspection/characteristics/{cid}/results", json=odd, headers=manager
    )
    assert stored.status_code in (200, 201, 422), stored.text
    for params in ({}, {"from": "2000-01-01T00:00:00Z"}):
        answer = await client.get(
            f"{API}/inspection/characteristics/{cid}/capability", params=params, headers=manager
        )
        assert answer.status_code in (200, 422), answer.text


def _stored_chart(conninfo: str, cid: str) -> dict[str, list[Any]]:
    """The chart's columns as the table holds them (ts rounded to ms, half away from zero)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT position, ts, subgroup, n, location, spread, limits_version, z, rules,"
            " out_of_spec, spread_out FROM inspection_point WHERE characteristic_id = %s"
            " ORDER BY position",
            (cid,),
        ).fetchall()
    names = (
        "position", "ts_ms", "subgroup", "n", "location", "spread", "limits_version", "z",
        "rules", "out_of_spec", "spread_out",
    )  # fmt: skip
    columns: dict[str, list[Any]] = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    columns["ts_ms"] = [
        ((t - epoch) // timedelta(microseconds=1) + 500) // 1000 for t in columns["ts_ms"]
    ]
    return columns


def _insert_points(conninfo: str, cid: str, first: int, last: int) -> None:
    """Points ``first .. last`` with every column varied: subgroups, NULLs, tests, flags."""
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "INSERT INTO inspection_point (characteristic_id, position, subgroup, ts, n, location,"
            " spread, limits_version, z, rules, out_of_spec, spread_out)"
            " SELECT %(cid)s, g, CASE WHEN g %% 7 = 0 THEN 'S-' || g END,"
            # whole ms, a microsecond fraction, and exactly half a millisecond
            " timestamptz '2026-11-30 08:00:00Z' + g * interval '1 s'"
            "   + (g %% 3) * interval '250 microseconds' + (g %% 5) * interval '17 microseconds',"
            " 1 + g %% 4, 25 + sin(g) / 100, CASE WHEN g > 0 THEN abs(cos(g)) / 100 END,"
            " CASE WHEN g >= 500 THEN 1 END, CASE WHEN g >= 500 THEN sin(g) * 3.3 END,"
            " CASE WHEN g %% 97 = 0 THEN '{1,5}'::smallint[] WHEN g %% 41 = 0 THEN '{2}'"
            "   ELSE '{}' END,"
            " g %% 89 = 0, g %% 61 = 0"
            " FROM generate_series(CAST(%(first)s AS integer), CAST(%(last)s AS integer)) g",
            {"cid": cid, "first": first, "last": last},
        )


async def test_chart_read_again_and_in_parts_gives_the_stored_points(
    client: httpx.AsyncClient, login: Login, demo: World, database_conninfo: str
) -> None:
    """Complete blocks of points are kept between reads: every read still gives what is stored,
    whatever its start and length, and points plotted since appear."""
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager)
    _insert_points(database_conninfo, cid, 0, 2299)
    url = f"{API}/inspection/characteristics/{cid}/chart"

    async def points(start: int, limit: int) -> dict[str, list[Any]]:
        response = await client.get(url, params={"start": start, "limit": limit}, headers=manager)
        assert response.status_code == 200, response.text
        return dict(response.json()["points"])

    stored = _stored_chart(database_conninfo, cid)
    assert stored["ts_ms"][2] != stored["ts_ms"][0] + 2000  # fractions of a millisecond stored
    whole = await points(0, 10_000)
    assert whole == stored
    assert await points(0, 10_000) == stored  # read again: from the blocks kept
    for start, limit in ((1, 1500), (999, 1002), (1000, 1000), (2000, 5000), (2299, 1)):
        part = await points(start, limit)
        assert part == {k: v[start : start + limit] for k, v in stored.items()}, (start, limit)
    assert await points(2300, 100) == {k: [] for k in stored}
    assert await points(2**31 - 1, 20_000) == {k: [] for k in stored}  # the largest start

    # New points complete the third block and start a fourth.
    _insert_points(database_conninfo, cid, 2300, 3099)
    stored = _stored_chart(database_conninfo, cid)
    assert len(stored["position"]) == 3100
    assert await points(0, 10_000) == stored
    assert await points(1500, 1600) == {k: v[1500:3100] for k, v in stored.items()}


async def test_the_list_gives_the_capability_of_the_latest_1000_results(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    manager = await login("manager@zjim.demo")
    cid = await create(client, manager, key="bore")
    listed = (await client.get(f"{API}/inspection/characteristics", headers=manager)).json()
    [fresh] = [c for c in listed if c["id"] == cid]
    assert (fresh["current_n"], fresh["current_cpk"], fresh["current_ppk"]) == (0, None, None)
    rng = random.Random(7)
    early = [25.02, 24.98, 25.025, 24.975, 25.02]  # a bad start, older than the latest 1,000
    latest = [25.0 + rng.gauss(0, 0.004) for _ in range(1000)]
    stored = await client.post(
        f"{API}/inspection/characteristics/{cid}/results",
        json=results(early + latest),
        headers=manager,
    )
    assert stored.status_code == 201, stored.text
    listed = (await client.get(f"{API}/inspection/characteristics", headers=manager)).json()
    [item] = [c for c in listed if c["id"] == cid]
    assert item["current_n"] == 1000
    mean, sd = statistics.fmean(latest), statistics.stdev(latest)
    assert item["current_ppk"] == pytest.approx(min(25.03 - mean, mean - 24.97) / (3 * sd))
    assert item["current_cpk"] is None  # no limits version: no within sigma
    one = await client.get(f"{API}/inspection/characteristics/{cid}", headers=manager)
    assert one.json()["current_ppk"] == pytest.approx(item["current_ppk"])
