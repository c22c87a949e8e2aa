"""The demo's trust data, as a visitor sees it on the public pages without logging in."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from server.demo.catalogue import INSTITUTIONS, seed_demo_catalogue
from server.demo.trust import CLOSED_ROUND, seed_demo_trust
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_demo_round_complaints_and_credit_classes_are_public(
    app: FastAPI, client: httpx.AsyncClient, demo: World
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_demo_catalogue(session)
        assert await seed_demo_trust(session)
    async with app.state.sessionmaker() as session, session.begin():
        assert not await seed_demo_trust(session)  # idempotent

    listing = await client.get("/public/institutions")
    classes = dict(
        re.findall(
            r">([^<>]+)</a><br><span class=\"en\" lang=\"en\">[^<]*</span></td><td>[^<]*</td><td>"
            r"<strong class=\"class-(\w)\">",
            listing.text,
        )
    )
    zjim, zju, ningbo, wenzhou = (spec.name for spec in INSTITUTIONS)
    assert classes == {zjim: "A", zju: "A", ningbo: "B", wenzhou: "C"}

    links = dict(re.findall(r'href="/public/institutions/([0-9a-f-]+)">([^<]+)<', listing.text))
    ids = {name: org_id for org_id, name in links.items()}
    page = (await client.get(f"/public/institutions/{ids[wenzhou]}")).text
    # The rule's condition that held, in words, and the dated facts the rules counted.
    assert "能力验证不满意结果 / unsatisfactory PT results ≥ 1（实际 / actual 1）" in page
    assert "pt_unsatisfactory" not in page
    counted = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>([^<]+)</td>", page)
    assert [label for _, label in counted] == [  # newest first
        "能力验证不满意结果 / unsatisfactory PT results",
        "成立或部分成立的投诉 / upheld or partly upheld complaints",
        "一般监督检查问题 / minor supervisory findings",
    ]
    assert [on for on, _ in counted] == sorted((on for on, _ in counted), reverse=True)
    # One complaint filed and closed, upheld.
    assert re.search(r"<td>1</td><td>0</td><td>1</td><td>1</td>", page)
    # Wenzhou did not agree to publish its result: only the participation is shown.
    assert "参加已结束的能力验证 1 次，公开其中 0 次" in page

    ningbo_page = (await client.get(f"/public/institutions/{ids[ningbo]}")).text
    assert "共享率 / Sharing rate" in ningbo_page
    assert CLOSED_ROUND in ningbo_page
    assert "有问题 / questionable" in ningbo_page
    assert re.search(r"<td>1</td><td>1</td><td>0</td>", ningbo_page)  # one in progress

    round_link = re.search(r'href="/public/pt/([0-9a-f-]+)"', ningbo_page)
    assert round_link is not None
    report = (await client.get(f"/public/pt/{round_link.group(1)}")).text
    assert "≤ 0.3·σ_pt" in report
    # How x_pt and σ_pt were set, Chinese first.
    assert "参考值及其标准不确定度 / reference value with its standard uncertainty" in report
    assert "由提供者规定 / fixed by the provider" in report
    assert "<svg" in report
    assert wenzhou not in report

    notices = (await client.get("/public/notices")).text
    assert wenzhou in notices
    assert "飞行检查 / flying inspection" in notices
    assert "flying_inspection" not in notices
