"""Evaluation tests: the shared app with its jobs off, so only the test writes state intervals
and the aggregate refreshes when the test (or the query) asks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.jobs import JobSettings
from server.telemetry.config import TelemetrySettings
from tests.harness.app import API
from tests.harness.evaluation import PASSWORD, World, make_world


@pytest.fixture
def job_settings() -> JobSettings:
    return JobSettings(jobs_enabled=False)


@pytest.fixture
def telemetry_settings() -> TelemetrySettings:
    return TelemetrySettings(jobs_enabled=False, live_enabled=False)


@pytest.fixture
async def conn(app: FastAPI) -> AsyncIterator[AsyncConnection]:
    """An autocommitting connection: what the test writes is visible to the API at once."""
    async with app.state.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


@pytest.fixture
async def world(conn: AsyncConnection) -> World:
    return await make_world(conn)


@pytest.fixture
def auth(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    async def login(email: str) -> dict[str, str]:
        response = await client.post(
            f"{API}/auth/token", data={"username": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login
