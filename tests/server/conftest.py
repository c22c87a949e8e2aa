"""Fixtures for the server tests: an app on a fresh migrated database, demo data, log-ins."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from server.app import create_app
from server.core.config import Environment, Settings
from server.seed import DEMO_PASSWORD, DemoSeed, seed_demo
from tests.harness import free_port

Login = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Nothing listens on the MQTT port unless a test starts a broker there: /readyz tests
    # pass their own broker settings.
    return Settings(
        environment=Environment.TEST,
        secret_key=SecretStr(secrets.token_urlsafe(48)),
        database_url=database_url,
        mqtt_port=free_port(),
        ingest_enabled=False,
        web_dist=tmp_path / "no-dist",
        readiness_timeout_s=1.0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
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
    """Log a demo user in; returns the Authorization header."""

    async def login(email: str) -> dict[str, str]:
        response = await client.post(
            "/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login
