"""Proficiency-testing rounds over HTTP: defining, submitting before the deadline, closing,
scoring, and who sees which result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import ZJIM, ZJU, World
from tests.harness.trust import add_institutions

pytestmark = pytest.mark.integration

ADMIN = "admin@platform.demo"
ZJIM_MANAGER = "manager@zjim.demo"
ZJU_MANAGER = "manager@zju.demo"


def _round(**overrides: Any) -> dict[str, Any]:
    body = {
        "code": "ZJ-PT-2026-01",
        "title": "恒温槽温度测量能力验证",
        "title_en": "Bath temperature measurement",
        "measurand": "温度 / temperature",
        "unit": "°C",
        "items": "两支封装温度计，编号 A、B / two sealed thermometers",
        "assigned_method": "reference",
        "reference_value": 50.00,
        "reference_u": 0.02,
        "sigma_method": "fixed",
        "sigma_fixed": 0.10,
        "score_policy": "z",
        "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    body.update(overrides)
    return body


async def _submit(
    client: httpx.AsyncClient, headers: dict[str, str], round_id: str, value: float, **extra: Any
) -> httpx.Response:
    return await client.put(
        f"{API}/pt/rounds/{round_id}/my-result", json={"value": value, **extra}, headers=headers
    )


async def test_a_round_from_definition_to_scores(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    extra = await add_institutions(app)
    admin = await login(ADMIN)
    created = await client.post(f"{API}/pt/rounds", json=_round(), headers=admin)
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]

    values = {
        ZJIM_MANAGER: 50.05,
        ZJU_MANAGER: 50.24,
        **dict(zip(extra.values(), (49.98, 50.36), strict=True)),
    }
    for email, value in values.items():
        response = await _submit(client, await login(email), round_id, value, standard_u=0.03)
        assert response.status_code == 200, response.text
        assert response.json()["own_result"]["value"] == value

    closed = await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)
    assert closed.status_code == 200, closed.text
    report = closed.json()
    stats = report["statistics"]
    # u(x_pt) = 0.02 <= 0.3 x 0.10: plain z, and the report says why.
    assert stats["score"] == "z"
    assert "≤ 0.3·σ_pt" in stats["score_reason"]
    by_org = {r["organisation"]: r for r in report["results"]}
    assert by_org[ZJIM]["score"] == pytest.approx(0.5)
    assert by_org[ZJIM]["judgement"] == "satisfactory"
    assert by_org[ZJU]["score"] == pytest.approx(2.4)
    assert by_org[ZJU]["judgement"] == "questionable"
    assert by_org["温州质量技术检测院"]["score"] == pytest.approx(3.6)
    assert by_org["温州质量技术检测院"]["judgement"] == "unsatisfactory"

    late = await _submit(client, await login(ZJIM_MANAGER), round_id, 50.0)
    assert late.status_code == 409
    assert late.headers["content-type"] == PROBLEM


async def test_z_prime_when_the_reference_value_is_uncertain(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    created = await client.post(f"{API}/pt/rounds", json=_round(reference_u=0.05), headers=admin)
    round_id = created.json()["id"]
    await _submit(client, await login(ZJIM_MANAGER), round_id, 50.25)
    report = (await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)).json()
    assert report["statistics"]["score"] == "z_prime"
    # z' = 0.25 / sqrt(0.10^2 + 0.05^2) = 2.236: questionable (z alone would say 2.5).
    assert report["results"][0]["score"] == pytest.approx(0.25 / (0.0125**0.5))
    assert report["results"][0]["judgement"] == "questionable"


async def test_consensus_round_uses_algorithm_a(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    extra = await add_institutions(app)
    admin = await login(ADMIN)
    created = await client.post(
        f"{API}/pt/rounds",
        json=_round(
            assigned_method="consensus",
            reference_value=None,
            reference_u=None,
            sigma_method="robust",
            sigma_fixed=None,
        ),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]
    emails = [ZJIM_MANAGER, ZJU_MANAGER, *extra.values()]
    for email, value in zip(emails, (20.155, 19.500, 20.300, 20.705), strict=True):
        await _submit(client, await login(email), round_id, value)
    stats = (await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)).json()[
        "statistics"
    ]
    from server.proficiency.stats import algorithm_a

    robust = algorithm_a([20.155, 19.500, 20.300, 20.705])
    assert stats["x_pt"] == pytest.approx(robust.mean)
    assert stats["sigma_pt"] == pytest.approx(robust.sd)
    assert stats["u_x_pt"] == pytest.approx(1.25 * robust.sd / 2)
    assert stats["iterations"] == robust.iterations


async def test_an_institution_never_sees_another_unpublished_result(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    round_id = (await client.post(f"{API}/pt/rounds", json=_round(), headers=admin)).json()["id"]
    zjim, zju = await login(ZJIM_MANAGER), await login(ZJU_MANAGER)
    await _submit(client, zjim, round_id, 50.05, publish=False)
    await _submit(client, zju, round_id, 50.24, publish=True)

    before = (await client.get(f"{API}/pt/rounds/{round_id}", headers=zju)).json()
    assert before["results"] == []
    assert before["own_result"]["value"] == 50.24

    await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)
    seen_by_zju = (await client.get(f"{API}/pt/rounds/{round_id}", headers=zju)).json()
    assert [r["organisation"] for r in seen_by_zju["results"]] == []  # its own is own_result
    assert "50.05" not in str(seen_by_zju)
    assert str(demo.organisations[ZJIM].id) not in str(seen_by_zju)
    seen_by_zjim = (await client.get(f"{API}/pt/rounds/{round_id}", headers=zjim)).json()
    assert [r["organisation"] for r in seen_by_zjim["results"]] == [ZJU]
    chart = await client.get(f"{API}/pt/rounds/{round_id}/chart.svg", headers=zju)
    assert chart.headers["content-type"] == "image/svg+xml"
    assert ZJIM not in chart.text

    public = await client.get(f"/public/pt/{round_id}")
    assert public.status_code == 200
    assert ZJU in public.text
    assert ZJIM not in public.text


async def test_only_the_provider_defines_and_closes(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login(ZJIM_MANAGER)
    refused = await client.post(f"{API}/pt/rounds", json=_round(), headers=manager)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    admin = await login(ADMIN)
    bad = await client.post(
        f"{API}/pt/rounds",
        json=_round(score_policy="zeta", assigned_method="consensus"),
        headers=admin,
    )
    assert bad.status_code == 422
    round_id = (await client.post(f"{API}/pt/rounds", json=_round(), headers=admin)).json()["id"]
    assert (
        await client.post(f"{API}/pt/rounds/{round_id}/close", headers=manager)
    ).status_code == 403
    buyer = await login("buyer@jingce.demo")
    assert (await _submit(client, buyer, round_id, 50.0)).status_code == 403


async def test_results_after_the_deadline_are_refused(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    round_id = (
        await client.post(f"{API}/pt/rounds", json=_round(deadline=past), headers=admin)
    ).json()["id"]
    late = await _submit(client, await login(ZJIM_MANAGER), round_id, 50.0)
    assert late.status_code == 409
    assert "deadline" in late.json()["detail"]


async def test_zeta_rounds_need_an_uncertainty(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login(ADMIN)
    round_id = (
        await client.post(f"{API}/pt/rounds", json=_round(score_policy="zeta"), headers=admin)
    ).json()["id"]
    manager = await login(ZJIM_MANAGER)
    missing = await _submit(client, manager, round_id, 50.1)
    assert missing.status_code == 422
    # U = 0.06 with k = 2: u(x) = 0.03; zeta = 0.1 / sqrt(0.03^2 + 0.02^2) = 2.774.
    ok = await _submit(client, manager, round_id, 50.1, expanded_u=0.06, coverage_k=2)
    assert ok.status_code == 200, ok.text
    report = (await client.post(f"{API}/pt/rounds/{round_id}/close", headers=admin)).json()
    assert report["statistics"]["score"] == "zeta"
    assert report["results"][0]["score"] == pytest.approx(0.1 / (0.0013**0.5))
    assert report["results"][0]["judgement"] == "questionable"
