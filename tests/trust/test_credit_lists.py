"""The lists the credit pages read: institutions with their class, and an institution's
findings and corrective actions with the ids a page needs to close an action."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI

from server.jobs.config import JobSettings
from tests.harness.app import API, Login
from tests.harness.factories import ZJIM, ZJU, World
from tests.harness.trust import add_cma


@pytest.fixture
def job_settings() -> JobSettings:
    # The CMA certificates are written straight into the tables: a daily reassessment that
    # happens to run before them (it did, under load) would leave the classes it found.
    return JobSettings(jobs_enabled=False)


@pytest.mark.integration
async def test_the_platform_lists_every_institution_and_staff_only_their_own(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    await add_cma(app, demo, ZJIM, "231112050001")
    admin = await login("admin@platform.demo")
    manager = await login("manager@zju.demo")
    buyer = await login("buyer@jingce.demo")

    listed = (await client.get(f"{API}/credit/institutions", headers=admin)).json()
    classes = {i["name"]: i["credit_class"] for i in listed}
    # ZJIM holds a valid CMA certificate; ZJU holds none, so the first rule gives it D.
    assert classes == {ZJIM: "A", ZJU: "D"}

    own = (await client.get(f"{API}/credit/institutions", headers=manager)).json()
    assert [(i["name"], i["credit_class"]) for i in own] == [(ZJU, "D")]
    assert (await client.get(f"{API}/credit/institutions", headers=buyer)).json() == []


@pytest.mark.integration
async def test_findings_and_actions_are_listed_with_ids_for_their_institution_only(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    await add_cma(app, demo, ZJIM, "231112050001")
    org = str(demo.organisations[ZJIM].id)
    admin = await login("admin@platform.demo")
    manager = await login("manager@zjim.demo")
    other = await login("manager@zju.demo")
    today = date.today()

    finding = await client.post(
        f"{API}/credit/findings",
        json={
            "organisation_id": org,
            "found_on": today.isoformat(),
            "kind": "flying_inspection",
            "severity": "minor",
            "description": "温湿度记录缺失",
            "evidence": "飞行检查记录 FX-2026-11",
        },
        headers=admin,
    )
    assert finding.status_code == 201, finding.text
    for due in (today + timedelta(days=30), today + timedelta(days=10)):
        made = await client.post(
            f"{API}/credit/corrective-actions",
            json={
                "organisation_id": org,
                "finding_id": finding.json()["id"],
                "description": f"整改至 {due}",
                "due_on": due.isoformat(),
            },
            headers=admin,
        )
        assert made.status_code == 201, made.text

    findings = (
        await client.get(f"{API}/credit/institutions/{org}/findings", headers=manager)
    ).json()
    assert [(f["id"], f["severity"], f["evidence"]) for f in findings] == [
        (finding.json()["id"], "minor", "飞行检查记录 FX-2026-11")
    ]
    actions = (
        await client.get(f"{API}/credit/institutions/{org}/corrective-actions", headers=manager)
    ).json()
    # Open actions by due date.
    assert [a["due_on"] for a in actions] == [
        (today + timedelta(days=10)).isoformat(),
        (today + timedelta(days=30)).isoformat(),
    ]
    closed = await client.post(
        f"{API}/credit/corrective-actions/{actions[0]['id']}/close",
        json={"closed_on": today.isoformat(), "closure_note": "已补记录"},
        headers=manager,
    )
    assert closed.status_code == 200, closed.text
    actions = (
        await client.get(f"{API}/credit/institutions/{org}/corrective-actions", headers=admin)
    ).json()
    # The closed one goes after the open one, with its closure.
    assert [(a["closed_on"], a["closure_note"]) for a in actions] == [
        (None, None),
        (today.isoformat(), "已补记录"),
    ]

    # The record's dated facts carry their parts, for a page to word them in its language.
    record = (await client.get(f"{API}/credit/institutions/{org}", headers=manager)).json()
    details = {f["kind"]: f["detail"] for f in record["facts"]}
    assert details["cma"]["state"] == "valid"
    assert details["finding:flying_inspection"]["severity"] == "minor"
    assert details["corrective_action"]["closed_on"] in (None, today.isoformat())

    for path in ("findings", "corrective-actions"):
        hidden = await client.get(f"{API}/credit/institutions/{org}/{path}", headers=other)
        assert hidden.status_code == 404
