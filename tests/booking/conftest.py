"""Fixtures for booking tests: an app (jobs off) on a fresh database with demo data."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from server.app import create_app
from server.core.config import Environment, Settings
from server.notifications.config import JobSettings
from tests.harness import free_port

if TYPE_CHECKING:
    from server.seed import DemoSeed

Login = Callable[[str], Awaitable[dict[str, str]]]
API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        mqtt_port=free_port(),
        ingest_enabled=False,
        web_dist=tmp_path / "no-dist",
        secret_key=SecretStr(secrets.token_urlsafe(48)),
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    # Tests drive the jobs themselves (BackgroundJobs.run_once) with a chosen clock.
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
    # Imported here: the seed pulls in every domain, and unit tests in this folder need none.
    from server.seed import seed_demo

    async with app.state.sessionmaker() as session, session.begin():
        return await seed_demo(session, gateway_secret="demo-gateway-secret")


@pytest.fixture
def login(client: httpx.AsyncClient, demo: DemoSeed) -> Login:
    from server.seed import DEMO_PASSWORD

    async def login(email: str) -> dict[str, str]:
        response = await client.post(
            f"{API}/auth/token", data={"username": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login


async def certify(
    app: FastAPI, demo: DemoSeed, *, valid_from_days: int = -30, valid_to_days: int = 200
) -> None:
    """A passed calibration certificate for the demo instrument (the registry's table)."""
    from datetime import UTC, datetime, timedelta

    from server.calibration.models import CalibrationCertificate

    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            CalibrationCertificate(
                instrument_id=demo.instrument.id,
                organisation_id=demo.instrument.organisation_id,
                number=f"ZJIM-CAL-{valid_to_days}",
                agency="浙江省计量科学研究院",
                granted_on=(now + timedelta(days=valid_from_days)).date(),
                valid_from=now + timedelta(days=valid_from_days),
                valid_to=now + timedelta(days=valid_to_days),
                result="pass",
            )
        )


@pytest.fixture
async def calibrated(app: FastAPI, demo: DemoSeed) -> DemoSeed:
    await certify(app, demo)
    return demo
