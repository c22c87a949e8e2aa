"""The demo's year of activity: what admin@platform.demo sees in the sharing evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from server.demo.catalogue import seed_demo_catalogue
from server.demo.evaluation import seed_demo_evaluation
from server.demo.seed import DemoSeed
from server.evaluation.calendar import BEIJING
from tests.harness.app import API, Login


async def test_demo_year_shows_four_institutions_and_a_reconciliation_flag(
    app: FastAPI, client: httpx.AsyncClient, demo: DemoSeed, login: Login
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await seed_demo_catalogue(session)
        added = await seed_demo_evaluation(session)
    assert added > 100
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo_evaluation(session) == 0  # idempotent
    admin = await login("admin@platform.demo")
    today = datetime.now(UTC).astimezone(BEIJING).date()
    period = {"date_from": str(today - timedelta(days=365)), "date_to": str(today)}
    metrics = await client.get(
        f"{API}/evaluation/metrics", params={**period, "level": "institution"}, headers=admin
    )
    assert metrics.status_code == 200, metrics.text
    active = [r for r in metrics.json()["rows"] if r["external_service_hours"] > 0]
    assert len(active) == 4
    assert all(r["effective_hours"] > 300 for r in active)
    assert all(0 < r["sharing_rate"] < 1 for r in active)
    assert all(r["ratings"] > 0 for r in active)
    checks = await client.get(
        f"{API}/evaluation/reconciliation", params={**period, "flagged_only": "true"}, headers=admin
    )
    flagged = checks.json()["checks"]
    assert [c["flag"] for c in flagged] == ["no_use_measured"]
    assert {t["state"] for t in flagged[0]["evidence"]["timeline"]} == {"idle"}
    coverage = await client.get(f"{API}/evaluation/coverage", params=period, headers=admin)
    statuses = [i["status"] for i in coverage.json()["instruments"]]
    assert statuses.count("late") == 1
    assert statuses.count("on_time") == 11
    report = await client.get(
        f"{API}/evaluation/report.xlsx", params={"year": today.year}, headers=admin
    )
    assert report.status_code == 200
