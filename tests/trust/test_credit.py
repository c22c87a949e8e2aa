"""Credit classes: the rules on constructed records, and the record over HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from server.credit.rules import DEFAULT_RULES, RuleSet, classify
from server.jobs.config import JobSettings
from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import ZJIM, ZJU, World
from tests.harness.trust import add_cma


@pytest.fixture
def job_settings() -> JobSettings:
    # The class history is asserted entry by entry: the daily reassessment must not add one of
    # its own whenever the background runner happens to start (it did, under load).
    return JobSettings(jobs_enabled=False)


DEFAULT = RuleSet.model_validate(DEFAULT_RULES)
CLEAN = {"cma_valid": 1}


@pytest.mark.parametrize(
    ("counts", "expected", "rule"),
    [
        (CLEAN, "A", None),
        ({**CLEAN, "pt_questionable": 1}, "B", "B-attention"),
        ({**CLEAN, "complaints_upheld": 2}, "B", "B-attention"),
        ({**CLEAN, "complaints_upheld": 3}, "C", "C-performance"),
        ({**CLEAN, "pt_unsatisfactory": 1, "pt_questionable": 2}, "C", "C-performance"),
        ({**CLEAN, "corrective_overdue": 1}, "C", "C-performance"),
        ({**CLEAN, "pt_unsatisfactory": 2}, "D", "D-qualification"),
        ({**CLEAN, "findings_serious": 1}, "D", "D-qualification"),
        ({"cma_valid": 0}, "D", "D-qualification"),
    ],
)
def test_default_rules_on_constructed_records(
    counts: dict[str, float], expected: str, rule: str | None
) -> None:
    result = classify(DEFAULT, counts)
    assert result.credit_class == expected
    assert result.rule_id == rule


def test_the_basis_names_the_conditions_that_held() -> None:
    result = classify(DEFAULT, {**CLEAN, "findings_major": 1, "complaints_upheld": 4})
    assert [(m["fact"], m["actual"]) for m in result.matched] == [
        ("findings_major", 1),
        ("complaints_upheld", 4),
    ]


def test_rules_are_configurable() -> None:
    strict: dict[str, Any] = {
        "window_days": 365,
        "default": {"class": "A", "text": "ok"},
        "rules": [
            {
                "id": "C-any-complaint",
                "class": "C",
                "text": "any upheld complaint",
                "any": [{"fact": "complaints_upheld", "op": ">=", "value": 1}],
            }
        ],
    }
    result = classify(RuleSet.model_validate(strict), {**CLEAN, "complaints_upheld": 1})
    assert (result.credit_class, result.rule_id) == ("C", "C-any-complaint")


@pytest.mark.integration
async def test_record_over_http_with_findings_actions_and_audited_changes(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    await add_cma(app, demo, ZJIM, "231112050001")
    org = str(demo.organisations[ZJIM].id)
    admin = await login("admin@platform.demo")
    manager = await login("manager@zjim.demo")

    record = (await client.get(f"{API}/credit/institutions/{org}", headers=manager)).json()
    assert record["credit_class"] == "A"
    assert record["counts"]["cma_valid"] == 1

    finding = await client.post(
        f"{API}/credit/findings",
        json={
            "organisation_id": org,
            "found_on": date.today().isoformat(),
            "kind": "flying_inspection",
            "severity": "major",
            "description": "原始记录未能溯源 / raw records not traceable",
            "evidence": "飞行检查记录 FX-2026-07，照片 3 张",
            "published": True,
        },
        headers=admin,
    )
    assert finding.status_code == 201, finding.text
    assert finding.json()["credit_class"] == "C"
    finding_id = finding.json()["id"]

    action = await client.post(
        f"{API}/credit/corrective-actions",
        json={
            "organisation_id": org,
            "finding_id": finding_id,
            "description": "建立原始记录管理程序",
            "due_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        headers=admin,
    )
    assert action.status_code == 201
    closed = await client.post(
        f"{API}/credit/corrective-actions/{action.json()['id']}/close",
        json={"closed_on": date.today().isoformat(), "closure_note": "程序已发布并培训"},
        headers=manager,
    )
    assert closed.status_code == 200, closed.text

    record = (await client.get(f"{API}/credit/institutions/{org}", headers=manager)).json()
    assert record["credit_class"] == "C"
    assert record["rule_id"] == "C-performance"
    assert record["matched"][0]["fact"] == "findings_major"
    kinds = {f["kind"] for f in record["facts"]}
    assert {"cma", "finding:flying_inspection", "corrective_action"} <= kinds

    history = (await client.get(f"{API}/credit/institutions/{org}/history", headers=manager)).json()
    assert [h["credit_class"] for h in history] == ["C", "A"]
    audit = (await client.get(f"{API}/audit?entity=credit_class", headers=manager)).json()
    assert [(e["before"] or {}).get("class") for e in audit] == ["A", None]
    assert [e["after"]["class"] for e in audit] == ["C", "A"]

    # A laxer rule set, as the platform configures it: the class follows on the next reading.
    lax = {**DEFAULT_RULES, "rules": DEFAULT_RULES["rules"][:1]}
    assert (await client.put(f"{API}/credit/rules", json=lax, headers=manager)).status_code == 403
    saved = await client.put(f"{API}/credit/rules", json=lax, headers=admin)
    assert saved.status_code == 200, saved.text
    record = (await client.get(f"{API}/credit/institutions/{org}", headers=admin)).json()
    assert (record["credit_class"], record["rule_version"]) == ("A", saved.json()["version"])

    bad = await client.put(f"{API}/credit/rules", json={**lax, "window_days": 1}, headers=admin)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM


@pytest.mark.integration
async def test_an_institution_sees_only_its_own_record(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    other = await login("manager@zju.demo")
    zjim = demo.organisations[ZJIM].id
    assert (await client.get(f"{API}/credit/institutions/{zjim}", headers=other)).status_code == 404
    own = await client.get(f"{API}/credit/institutions/{demo.organisations[ZJU].id}", headers=other)
    assert own.status_code == 200
    # No CMA certificate on record: class D, and the rule says why.
    assert own.json()["credit_class"] == "D"
    assert own.json()["matched"][0]["fact"] == "cma_valid"


@pytest.mark.integration
async def test_findings_name_a_real_institution_and_flags_come_from_the_evaluation(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login("admin@platform.demo")
    enterprise = await client.post(
        f"{API}/credit/findings",
        json={
            "organisation_id": str(demo.organisations["杭州精测科技有限公司"].id),
            "found_on": date.today().isoformat(),
            "kind": "flying_inspection",
            "severity": "minor",
            "description": "x",
            "evidence": "y",
        },
        headers=admin,
    )
    assert enterprise.status_code == 422
    assert enterprise.json()["errors"][0]["field"] == "organisation_id"
    # A reconciliation flag is recorded from the evaluation's own check, not typed in.
    refused = await client.post(
        f"{API}/credit/findings",
        json={
            "organisation_id": str(demo.organisations[ZJIM].id),
            "found_on": date.today().isoformat(),
            "kind": "reconciliation_flag",
            "severity": "minor",
            "description": "计费时长与传感器记录不符",
            "evidence": "运行时间 0 分钟，计费 120 分钟",
        },
        headers=admin,
    )
    assert refused.status_code == 422
