"""Proficiency-testing rounds with several test items (ISO/IEC 17043 §7.4: each item has its
own assigned value and σ_pt, and each result is scored against its own item)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from alembic import command
from fastapi import FastAPI

from server.core.migrations import alembic_config
from server.proficiency.stats import algorithm_a
from tests.harness import PostgresCluster
from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import ZJIM, ZJU, World
from tests.harness.trust import add_institutions

pytestmark = pytest.mark.integration

ADMIN = "admin@platform.demo"
ZJIM_MANAGER = "manager@zjim.demo"
ZJU_MANAGER = "manager@zju.demo"
NINGBO, WENZHOU = "宁波检验检测研究院", "温州质量技术检测院"


def _two_thermometers(**overrides: Any) -> dict[str, Any]:
    """Two sealed thermometers, A read at 50 °C and B at 80 °C, each with its own x_pt."""
    body = {
        "code": "ZJ-PT-2026-07",
        "title": "恒温槽温度测量能力验证（两支温度计）",
        "measurand": "温度 / temperature",
        "unit": "°C",
        "items": "两支封装温度计 A、B / two sealed thermometers",
        "assigned_method": "reference",
        "sigma_method": "fixed",
        "sigma_fixed": 0.10,
        "score_policy": "z",
        "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "test_items": [
            {"key": "A", "name": "温度计 A，50 °C", "reference_value": 50.00, "reference_u": 0.02},
            {
                "key": "B",
                "name": "温度计 B，80 °C",
                "reference_value": 80.00,
                "reference_u": 0.02,
                "sigma_fixed": 0.20,
            },
        ],
    }
    body.update(overrides)
    return body


async def _submit(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    round_id: str,
    item: str | None,
    value: float,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"value": value, **extra}
    if item is not None:
        body["item"] = item
    return await client.put(f"{API}/pt/rounds/{round_id}/my-result", json=body, headers=headers)


def _items(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["key"]: item for item in report["test_items"]}


async def test_each_item_is_scored_against_its_own_assigned_value(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    extra = await add_institutions(app)
    admin = await login(ADMIN)
    created = await client.post(f"{API}/pt/rounds", json=_two_thermometers(), headers=admin)
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]
    assert [
        (i["key"], i["reference_value"], i["sigma_fixed"]) for i in created.json()["test_items"]
    ] == [
        ("A", 50.00, 0.10),  # σ_pt of the round
        ("B", 80.00, 0.20),  # its own
    ]

    zjim, zju = await login(ZJIM_MANAGER), await login(ZJU_MANAGER)
    ningbo, wenzhou = await login(extra[NINGBO]), await login(extra[WENZHOU])
    for headers, a, b in ((zjim, 50.05, 80.10), (zju, 50.24, 80.50), (ningbo, 49.98, 79.30)):
        for item, value in (("A", a), ("B", b)):
            response = await _submit(client, headers, round_id, item, value, publish=True)
            assert response.status_code == 200, response.text
    # Wenzhou measured thermometer B only.
    assert (await _submit(client, wenzhou, round_id, "B", 80.02, publish=True)).status_code == 200

    closed = await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)
    assert closed.status_code == 200, closed.text
    items = _items(closed.json())
    assert items["A"]["statistics"]["x_pt"] == 50.00
    assert items["B"]["statistics"]["x_pt"] == 80.00
    assert items["A"]["statistics"]["participants"] == 3
    assert items["B"]["statistics"]["participants"] == 4
    # Each item says which score it used and why: u(x_pt) = 0.02 ≤ 0.3·σ_pt for both.
    assert items["A"]["statistics"]["score"] == items["B"]["statistics"]["score"] == "z"
    assert "≤ 0.3·σ_pt" in items["B"]["statistics"]["score_reason"]

    def scores(item: str) -> dict[str, tuple[float, str]]:
        return {r["organisation"]: (r["score"], r["judgement"]) for r in items[item]["results"]}

    a, b = scores("A"), scores("B")
    assert a[ZJIM] == (pytest.approx(0.5), "satisfactory")
    assert a[ZJU] == (pytest.approx(2.4), "questionable")
    assert a[NINGBO] == (pytest.approx(-0.2), "satisfactory")
    assert WENZHOU not in a  # no result for A, so no score for A
    # B with σ_pt = 0.20: 80.50 is z = 2.5, 79.30 is z = -3.5.
    assert b[ZJIM] == (pytest.approx(0.5), "satisfactory")
    assert b[ZJU] == (pytest.approx(2.5), "questionable")
    assert b[NINGBO] == (pytest.approx(-3.5), "unsatisfactory")
    assert b[WENZHOU] == (pytest.approx(0.1), "satisfactory")

    # Wenzhou's own report: a score for B, nothing for A.
    own = _items((await client.get(f"{API}/pt/rounds/{round_id}", headers=wenzhou)).json())
    assert own["A"]["own_result"] is None
    assert own["B"]["own_result"]["score"] == pytest.approx(0.1)

    # The ranked chart per item: item B has four bars, item A three.
    chart_a = await client.get(f"{API}/pt/rounds/{round_id}/chart.svg?item=A", headers=admin)
    chart_b = await client.get(f"{API}/pt/rounds/{round_id}/chart.svg?item=B", headers=admin)
    assert chart_a.text.count("<rect") == 3
    assert chart_b.text.count("<rect") == 4
    assert "-3.50" in chart_b.text
    assert "-3.50" not in chart_a.text
    missing = await client.get(f"{API}/pt/rounds/{round_id}/chart.svg?item=C", headers=admin)
    assert missing.status_code == 404

    # The public page lists both items, each with its assigned value and its results.
    page = (await client.get(f"/public/pt/{round_id}")).text
    assert "item A" in page
    assert "item B" in page
    assert "x_pt = 50" in page
    assert "x_pt = 80" in page
    assert page.count("<svg") == 2
    public_b = await client.get(f"/public/pt/{round_id}/chart.svg?item=B")
    assert public_b.text.count("<rect") == 4


async def test_consensus_is_computed_per_item_by_algorithm_a(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    extra = await add_institutions(app)
    admin = await login(ADMIN)
    body = _two_thermometers(
        assigned_method="consensus",
        sigma_method="robust",
        sigma_fixed=None,
        test_items=[{"key": "S1", "name": "试样 1"}, {"key": "S2", "name": "试样 2"}],
    )
    created = await client.post(f"{API}/pt/rounds", json=body, headers=admin)
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]
    s1 = (20.155, 19.500, 20.300, 20.705)
    s2 = (412.0, 405.5, 409.0, 431.0)
    emails = [ZJIM_MANAGER, ZJU_MANAGER, *extra.values()]
    for email, v1, v2 in zip(emails, s1, s2, strict=True):
        headers = await login(email)
        assert (await _submit(client, headers, round_id, "S1", v1)).status_code == 200
        assert (await _submit(client, headers, round_id, "S2", v2)).status_code == 200
    items = _items((await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)).json())
    for key, values in (("S1", s1), ("S2", s2)):
        robust = algorithm_a(values)
        assert items[key]["statistics"]["x_pt"] == pytest.approx(robust.mean)
        assert items[key]["statistics"]["sigma_pt"] == pytest.approx(robust.sd)
        assert items[key]["statistics"]["iterations"] == robust.iterations
    assert items["S1"]["statistics"]["x_pt"] != pytest.approx(items["S2"]["statistics"]["x_pt"])


async def test_results_name_their_item_and_are_replaced_per_item(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    round_id = (
        await client.post(f"{API}/pt/rounds", json=_two_thermometers(), headers=admin)
    ).json()["id"]
    zjim = await login(ZJIM_MANAGER)
    unnamed = await _submit(client, zjim, round_id, None, 50.1)
    assert unnamed.status_code == 422
    assert unnamed.headers["content-type"] == PROBLEM
    assert (await _submit(client, zjim, round_id, "C", 50.1)).status_code == 422

    assert (await _submit(client, zjim, round_id, "A", 50.1)).status_code == 200
    assert (await _submit(client, zjim, round_id, "B", 80.1)).status_code == 200
    # Before the deadline a new result for A replaces A's and leaves B's alone.
    replaced = await _submit(client, zjim, round_id, "A", 50.07)
    own = _items(replaced.json())
    assert own["A"]["own_result"]["value"] == 50.07
    assert own["B"]["own_result"]["value"] == 80.1
    assert sorted(r["value"] for r in replaced.json()["own_results"]) == [50.07, 80.1]

    bad = await client.post(
        f"{API}/pt/rounds",
        json=_two_thermometers(
            code="ZJ-PT-2026-08",
            test_items=[
                {"key": "A", "name": "a", "reference_value": 1.0},
                {"key": "B", "name": "b"},
            ],
        ),
        headers=admin,
    )
    assert bad.status_code == 422  # a reference item needs its value and u(x_pt)
    twice = await client.post(
        f"{API}/pt/rounds",
        json=_two_thermometers(
            code="ZJ-PT-2026-09",
            test_items=[
                {"key": "A", "name": "a", "reference_value": 1.0, "reference_u": 0.01},
                {"key": "A", "name": "b", "reference_value": 2.0, "reference_u": 0.01},
            ],
        ),
        headers=admin,
    )
    assert twice.status_code == 422


async def test_an_institution_never_sees_another_unpublished_item_result(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    round_id = (
        await client.post(f"{API}/pt/rounds", json=_two_thermometers(), headers=admin)
    ).json()["id"]
    zjim, zju = await login(ZJIM_MANAGER), await login(ZJU_MANAGER)
    await _submit(client, zjim, round_id, "A", 50.05, publish=False)
    await _submit(client, zjim, round_id, "B", 80.15, publish=False)
    await _submit(client, zju, round_id, "A", 50.24, publish=True)
    await _submit(client, zju, round_id, "B", 80.44, publish=True)

    open_view = (await client.get(f"{API}/pt/rounds/{round_id}", headers=zju)).json()
    assert all(item["results"] == [] for item in open_view["test_items"])
    assert "50.05" not in str(open_view)
    assert "80.15" not in str(open_view)

    await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)
    seen_by_zju = (await client.get(f"{API}/pt/rounds/{round_id}", headers=zju)).json()
    assert "50.05" not in str(seen_by_zju)
    assert "80.15" not in str(seen_by_zju)
    assert str(demo.organisations[ZJIM].id) not in str(seen_by_zju)
    for item in ("A", "B"):
        chart = await client.get(f"{API}/pt/rounds/{round_id}/chart.svg?item={item}", headers=zju)
        assert ZJIM not in chart.text
    seen_by_zjim = _items((await client.get(f"{API}/pt/rounds/{round_id}", headers=zjim)).json())
    assert [r["organisation"] for r in seen_by_zjim["B"]["results"]] == [ZJU]

    # The lab manager's publication choice covers every item of the round.
    chosen = await client.put(
        f"{API}/pt/rounds/{round_id}/my-result/publish", json={"publish": True}, headers=zjim
    )
    assert chosen.status_code == 200
    assert all(r["publish"] for r in chosen.json()["own_results"])
    public = (await client.get(f"/public/pt/{round_id}")).text
    assert public.count(f"<tr><td>{ZJIM}</td>") == 2  # a row in each item's table


async def test_a_round_without_items_has_one_and_takes_results_without_a_key(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    body = _two_thermometers(
        test_items=None, reference_value=50.0, reference_u=0.02, code="ZJ-PT-2026-10"
    )
    body.pop("test_items")
    created = (await client.post(f"{API}/pt/rounds", json=body, headers=admin)).json()
    assert [(i["key"], i["name"], i["reference_value"]) for i in created["test_items"]] == [
        ("A", body["items"], 50.0)
    ]
    zjim = await login(ZJIM_MANAGER)
    response = await _submit(client, zjim, created["id"], None, 50.05)
    assert response.status_code == 200, response.text
    assert response.json()["own_result"]["value"] == 50.05
    assert response.json()["own_result"]["item"] == "A"
    report = (await client.post(f"{API}/pt/rounds/{created['id']}/close", headers=admin)).json()
    assert report["statistics"] == report["test_items"][0]["statistics"]
    assert report["results"][0]["score"] == pytest.approx(0.5)


def test_revision_0016_gives_each_existing_round_one_item(pg_cluster: PostgresCluster) -> None:
    name = pg_cluster.create_database()
    config = alembic_config(pg_cluster.url(name))
    try:
        command.upgrade(config, "0009_proficiency")
        round_id = uuid.uuid4()
        with psycopg.connect(pg_cluster.url(name, driver="postgresql")) as conn:
            org = conn.execute(
                "INSERT INTO organisation (kind, name) VALUES ('institution', 'i') RETURNING id"
            ).fetchone()
            assert org is not None
            conn.execute(
                "INSERT INTO pt_round (id, code, title, measurand, unit, items, assigned_method, "
                "reference_value, reference_u, sigma_method, sigma_fixed, score_policy, deadline, "
                "status, statistics) VALUES (%s, 'R1', 't', 'T', '°C', 'one PRT', 'reference', "
                "50, 0.01, 'fixed', 0.1, 'z', now(), 'closed', '{\"x_pt\": 50}')",
                (round_id,),
            )
            conn.execute(
                "INSERT INTO pt_submission (id, round_id, organisation_id, value, score, "
                "judgement, score_kind) VALUES (%s, %s, %s, 50.03, 0.3, 'satisfactory', 'z')",
                (uuid.uuid4(), round_id, org[0]),
            )
        command.upgrade(config, "0016_proficiency_items")
        with psycopg.connect(pg_cluster.url(name, driver="postgresql")) as conn:
            items = conn.execute(
                "SELECT id, key, name, reference_value, reference_u, sigma_fixed, statistics "
                "FROM pt_item WHERE round_id = %s",
                (round_id,),
            ).fetchall()
            assert [row[1:] for row in items] == [("A", "one PRT", 50.0, 0.01, 0.1, {"x_pt": 50})]
            moved = conn.execute("SELECT item_id, score FROM pt_submission").fetchall()
            assert moved == [(items[0][0], 0.3)]
        command.downgrade(config, "0009_proficiency")
        with psycopg.connect(pg_cluster.url(name, driver="postgresql")) as conn:
            kept = conn.execute("SELECT value FROM pt_submission").fetchall()
            assert kept == [(50.03,)]
    finally:
        pg_cluster.drop_database(name)


async def test_an_item_nobody_measured_is_closed_without_scores(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    round_id = (
        await client.post(f"{API}/pt/rounds", json=_two_thermometers(), headers=admin)
    ).json()["id"]
    await _submit(client, await login(ZJU_MANAGER), round_id, "A", 50.24, publish=True)
    closed = await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)
    assert closed.status_code == 200, closed.text
    items = _items(closed.json())
    assert items["A"]["statistics"]["participants"] == 1
    assert items["B"]["statistics"] is None
    assert items["B"]["results"] == []
    page = (await client.get(f"/public/pt/{round_id}")).text
    assert "该物品无结果 / no results for this item" in page
