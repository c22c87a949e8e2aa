"""CMA certificates over HTTP: per-part refusals, the printed valid-until date, and one status
rule for the institution's list and the public check, from before issue to after expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from tests.harness.app import Login
from tests.harness.factories import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI).astimezone(UTC)


async def test_numbers_outside_the_code_ranges_are_refused_part_by_part(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: _at(date(2026, 6, 1))
    manager = await login("manager@zjim.demo")

    async def create(number: str, issued_on: str = "2023-05-08") -> httpx.Response:
        return await client.post(
            "/api/v1/cma-certificates",
            headers=manager,
            json={"number": number, "issued_on": issued_on},
        )

    zhejiang_by_gb2260 = await create("233312050123")
    assert zhejiang_by_gb2260.status_code == 422
    problem = zhejiang_by_gb2260.json()
    assert problem["errors"][0]["field"] == "number"
    assert "issuing authority code 33" in problem["errors"][0]["message"]

    several = await create("233322350123")
    assert several.status_code == 422
    messages = [e["message"] for e in several.json()["errors"]]
    assert len(messages) == 3
    assert any("field code 22" in m for m in messages)
    assert any("ministry code 35" in m for m in messages)

    field_zero = await create("231100050124")
    assert field_zero.status_code == 201, field_zero.text
    assert field_zero.json()["valid_until"] == "2029-05-07"


async def test_the_printed_valid_until_is_stored_and_checked(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: _at(date(2026, 6, 1))
    manager = await login("manager@zjim.demo")
    leap = await client.post(
        "/api/v1/cma-certificates",
        headers=manager,
        json={"number": "241112050201", "issued_on": "2024-02-29"},
    )
    assert leap.status_code == 201, leap.text
    assert leap.json()["valid_until"] == "2030-02-27"
    march = await client.post(
        "/api/v1/cma-certificates",
        headers=manager,
        json={"number": "251112050202", "issued_on": "2025-03-01"},
    )
    assert march.json()["valid_until"] == "2031-02-28"
    printed = await client.post(
        "/api/v1/cma-certificates",
        headers=manager,
        json={"number": "231112050203", "issued_on": "2023-05-08", "valid_until": "2029-04-30"},
    )
    assert printed.status_code == 201, printed.text
    assert printed.json()["valid_until"] == "2029-04-30"
    for bad in ("2023-05-08", "2029-05-08"):
        refused = await client.post(
            "/api/v1/cma-certificates",
            headers=manager,
            json={"number": "231112050204", "issued_on": "2023-05-08", "valid_until": bad},
        )
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == "valid_until"


async def test_public_check_and_staff_list_agree_from_issue_to_expiry(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    issued_on, valid_until = date(2024, 2, 29), date(2030, 2, 27)
    app.state.clock = lambda: _at(issued_on)
    manager = await login("manager@zjim.demo")
    created = await client.post(
        "/api/v1/cma-certificates",
        headers=manager,
        json={"number": "241112050301", "issued_on": issued_on.isoformat()},
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "valid"

    expected = {
        issued_on - timedelta(days=1): "not_yet_valid",
        issued_on: "valid",
        date(2029, 11, 27): "valid",
        date(2029, 11, 28): "renewal_due",  # three months before 2030-02-28, the first day out
        valid_until: "renewal_due",  # the printed last day is still valid
        valid_until + timedelta(days=1): "expired",
    }
    for day, status in expected.items():
        # 00:00 in China is still the day before in UTC: the date in China counts.
        for hour in (0, 23):
            app.state.clock = lambda d=day, h=hour: _at(d, h)
            public = await client.get("/api/v1/public/cma-certificates/241112050301")
            assert public.status_code == 200
            assert public.json()["valid_until"] == valid_until.isoformat()
            assert public.json()["status"] == status, (day, hour)
            mine = await client.get("/api/v1/cma-certificates", headers=manager)
            listed = {c["number"]: c for c in mine.json()}["241112050301"]
            assert listed["status"] == status, (day, hour)

    malformed = await client.get("/api/v1/public/cma-certificates/233312050123")
    assert malformed.status_code == 422
    assert "issuing authority code 33" in malformed.json()["errors"][0]["message"]
    unknown = await client.get("/api/v1/public/cma-certificates/231112059999")
    assert unknown.status_code == 404
