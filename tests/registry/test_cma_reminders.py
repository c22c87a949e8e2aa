"""The institution's lab managers are reminded to renew their CMA qualification, once per stage."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from server.jobs import BackgroundJobs, JobSettings
from tests.harness.app import API, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), SHANGHAI).astimezone(UTC)


async def _pass(app: FastAPI, day: date) -> None:
    await BackgroundJobs(app.state.sessionmaker, JobSettings(jobs_enabled=False)).run_once(_at(day))


async def _cma_notices(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    notes = (await client.get(f"{API}/notifications", headers=headers)).json()
    return sorted(n["kind"] for n in notes if n["kind"].startswith("cma."))


async def test_renewal_is_asked_for_three_months_before_the_end_and_expiry_is_told(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager, staff = await login("manager@zjim.demo"), await login("staff@zjim.demo")
    app.state.clock = lambda: _at(date(2026, 1, 10))
    # Issued 2020-09-01 in Zhejiang (authority 11): last valid day 2026-08-31.
    created = await client.post(
        f"{API}/cma-certificates",
        headers=manager,
        json={"number": "201100000042", "issued_on": "2020-09-01"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["valid_until"] == "2026-08-31"

    await _pass(app, date(2026, 5, 31))  # a day before the three months start
    assert await _cma_notices(client, manager) == []
    await _pass(app, date(2026, 6, 1))
    await _pass(app, date(2026, 6, 2))  # again: no second reminder
    assert await _cma_notices(client, manager) == ["cma.renewal_due"]
    # Lab managers renew qualifications; staff are not told.
    assert await _cma_notices(client, staff) == []

    await _pass(app, date(2026, 8, 31))  # the last valid day: still only the renewal reminder
    assert await _cma_notices(client, manager) == ["cma.renewal_due"]
    await _pass(app, date(2026, 9, 1))
    await _pass(app, date(2026, 9, 5))
    assert await _cma_notices(client, manager) == ["cma.expired", "cma.renewal_due"]
