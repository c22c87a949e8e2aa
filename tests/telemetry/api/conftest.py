"""An app on the harness PostgreSQL and Mosquitto, with demo data and log-ins, for the
telemetry query, export, state and live tests."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from server.app import create_app
from server.core.config import Environment, Settings
from server.notifications.config import JobSettings
from server.seed import DEMO_PASSWORD, DemoSeed, seed_demo
from server.telemetry.config import TelemetrySettings
from tests.harness import MosquittoBroker

Login = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def settings(database_url: str, mosquitto: MosquittoBroker, tmp_path: Path) -> Settings:
    return Settings(
        environment=Environment.TEST,
        secret_key=SecretStr(secrets.token_urlsafe(48)),
        database_url=database_url,
        mqtt_host=mosquitto.host,
        mqtt_port=mosquitto.port,
        ingest_enabled=False,
        web_dist=tmp_path / "no-dist",
    )


@pytest.fixture
def telemetry_settings() -> TelemetrySettings:
    # Jobs are driven by the tests themselves, so results do not depend on timing.
    return TelemetrySettings(jobs_enabled=False, live_enabled=True)


@pytest.fixture
async def app(settings: Settings, telemetry_settings: TelemetrySettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    app.state.telemetry_settings = telemetry_settings
    app.state.job_settings = JobSettings(jobs_enabled=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://labshare.test") as client:
        yield client


@pytest.fixture
async def demo(app: FastAPI) -> DemoSeed:
    async with app.state.sessionmaker() as session, session.begin():
        return await seed_demo(session, gateway_secret="demo-gateway-secret")


@pytest.fixture
def login(client: httpx.AsyncClient, demo: DemoSeed) -> Login:
    async def login(email: str) -> dict[str, str]:
        response = await client.post(
            "/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login


class Telemetry:
    """Writes samples and bookings with plain SQL, as the ingest worker and booking would."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo

    def insert(self, channel_id: int, samples: Sequence[tuple[datetime, float | None]]) -> None:
        statement = "COPY telemetry (channel_id, ts, value, quality) FROM STDIN"
        with (
            psycopg.connect(self.conninfo) as conn,
            conn.cursor() as cur,
            cur.copy(statement) as copy,
        ):
            for ts, value in samples:
                copy.write_row((channel_id, ts, value, 0))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo) as conn:
            cur = conn.execute(sql, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def booking(
        self,
        instrument_id: uuid.UUID,
        organisation_id: uuid.UUID,
        user_id: uuid.UUID,
        start: datetime,
        end: datetime,
        status: str = "completed",
    ) -> None:
        self.execute(
            "INSERT INTO booking (instrument_id, organisation_id, user_id, start_at, end_at,"
            " status) VALUES (%s, %s, %s, %s, %s, %s)",
            (instrument_id, organisation_id, user_id, start, end, status),
        )


@pytest.fixture
def telemetry(database_conninfo: str) -> Telemetry:
    return Telemetry(database_conninfo)
