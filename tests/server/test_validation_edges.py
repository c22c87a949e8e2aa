"""Edge validation shared by every endpoint: NUL anywhere, and the database-error safety net."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from server.core.errors import install_error_handlers
from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import World


@pytest.mark.integration
async def test_a_nul_in_a_body_field_of_any_endpoint_is_a_422_naming_it(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    response = await client.post(f"{API}/labs", json={"name": "温湿度\x00实验室"}, headers=manager)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "name" in [e["field"] for e in response.json()["errors"]]
    # A NUL in free-form JSON (no schema types it as text) is named by its path.
    response = await client.patch(
        f"{API}/instruments/{demo.instrument.id}/record",
        json={"opening_hours": {"mon\x00": [["08:00", "17:00"]]}},
        headers=manager,
    )
    assert response.status_code == 422, response.text
    assert "opening_hours.mon\x00" in [e["field"] for e in response.json()["errors"]]
    # Log-in forms too.
    response = await client.post(
        f"{API}/auth/token", data={"username": "a\x00@b.c", "password": "x"}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["username"]


async def test_a_database_data_error_is_a_422_problem_not_a_500() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/overflow")
    async def overflow() -> None:
        raise DBAPIError("INSERT ...", {}, psycopg.errors.NumericValueOutOfRange("out of range"))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/overflow")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"] == "/problems/invalid-value"
