"""The iCalendar feeds are reached without a log-in: a malformed token is a 404/422, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("token", ["é", "\x00", "a" * 41, "ＡＢＣ"])
async def test_a_non_ascii_or_overlong_token_is_a_422_without_login(
    client: httpx.AsyncClient, demo: World, token: str
) -> None:
    user_id = demo.users["buyer@jingce.demo"].id
    response = await client.get(f"{API}/calendar/users/{user_id}.ics", params={"token": token})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in response.json()["errors"]] == ["query.token"]
    response = await client.get(
        f"{API}/calendar/instruments/{demo.instrument.id}.ics",
        params={"user": str(user_id), "token": token},
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["query.token"]


async def test_a_wrong_token_of_the_right_form_is_404_and_the_right_one_works(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    user_id = demo.users["buyer@jingce.demo"].id
    response = await client.get(f"{API}/calendar/users/{user_id}.ics", params={"token": "0" * 40})
    assert response.status_code == 404
    links = (
        await client.get(f"{API}/calendar/links", headers=await login("buyer@jingce.demo"))
    ).json()
    path = links["user_feed"].split("labshare.test", 1)[1]
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
