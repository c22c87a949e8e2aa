"""``month`` of a statement must be a real calendar month: a 422 problem, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("month", ["0000-05", "2025-13", "2025-00", "25-05", "2025-5", "99999-01"])
async def test_a_month_outside_the_calendar_is_a_422_naming_month(
    client: httpx.AsyncClient, demo: World, login: Login, month: str
) -> None:
    buyer = await login("buyer@jingce.demo")
    response = await client.get(f"{API}/statements", params={"month": month}, headers=buyer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in response.json()["errors"]] == ["query.month"]


async def test_a_real_month_still_gives_a_statement(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    response = await client.get(f"{API}/statements", params={"month": "2025-05"}, headers=buyer)
    assert response.status_code == 200, response.text
    assert response.json()["month"] == "2025-05"
