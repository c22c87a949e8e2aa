"""The shared server fixtures, loaded for the whole suite by tests/conftest.py (a pytest plugin).

``settings``            server settings on a fresh migrated database (broker port with nobody on
                        it; areas that need the broker override this fixture)
``job_settings``        None: the app reads ``LABSHARE_*`` as usual; override with
                        ``JobSettings(jobs_enabled=False)`` to drive the jobs from the test
``telemetry_settings``  None, likewise for ``TelemetrySettings``
``app``                 the FastAPI app, lifespan entered
``client``              an httpx client on the app (ASGI, no socket)
``demo``                the shared test world (``tests.harness.factories.standard_world``)
``login``               log a test user in: ``headers = await login("manager@zjim.demo")``
``calibrated``          that world with a passed calibration certificate on its instrument
``smtp_inbox``          a real SMTP server (aiosmtpd) on a free port collecting messages
``served``              the app behind a real HTTP server (uvicorn) on a free port: its base URL,
                        for streams (``sse_events``, ``next_event`` read Server-Sent Events)

An area's conftest.py overrides a fixture by defining one of the same name.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from server.core.config import Environment, Settings
from tests.harness.factories import PASSWORD, World, standard_world
from tests.harness.ports import free_port

if TYPE_CHECKING:
    from server.jobs import JobSettings
    from server.telemetry.config import TelemetrySettings

__all__ = ["API", "PROBLEM", "Login", "SmtpInbox", "certify", "next_event", "sse_events"]

Login = Callable[[str], Awaitable[dict[str, str]]]
API = "/api/v1"
PROBLEM = "application/problem+json"


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
def job_settings() -> JobSettings | None:
    return None


@pytest.fixture
def telemetry_settings() -> TelemetrySettings | None:
    return None


@pytest.fixture
async def app(
    settings: Settings,
    job_settings: JobSettings | None,
    telemetry_settings: TelemetrySettings | None,
) -> AsyncIterator[FastAPI]:
    # Imported here: the app pulls in every domain, and unit tests need none of it.
    from server.app import create_app

    app = create_app(settings)
    if job_settings is not None:
        app.state.job_settings = job_settings
    if telemetry_settings is not None:
        app.state.telemetry_settings = telemetry_settings
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://labshare.test") as client:
        yield client


@pytest.fixture
async def demo(app: FastAPI) -> World:
    async with app.state.sessionmaker() as session, session.begin():
        return await standard_world(session)


@pytest.fixture
def login(client: httpx.AsyncClient, demo: World) -> Login:
    """Log a user of the test world in; returns the Authorization header."""

    async def login(email: str) -> dict[str, str]:
        response = await client.post(
            f"{API}/auth/token", data={"username": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login


async def certify(
    app: FastAPI, demo: World, *, valid_from_days: int = -30, valid_to_days: int = 200
) -> None:
    """A passed calibration certificate for the demo instrument (the registry's table)."""
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
async def calibrated(app: FastAPI, demo: World) -> World:
    await certify(app, demo)
    return demo


@dataclass
class SmtpInbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Requested action aborted: try again later"
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox() -> Iterator[SmtpInbox]:
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox("127.0.0.1", free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app behind a real HTTP server (the in-memory transport buffers whole responses)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, object]]]:
    """(event, data) of a Server-Sent Events response, as they arrive."""
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event, json.loads(line.removeprefix("data: "))


async def next_event(
    stream: AsyncIterator[tuple[str, dict[str, object]]], wanted: str, within_s: float = 20.0
) -> dict[str, object]:
    """The data of the stream's next ``wanted`` event (others are skipped)."""

    async def find() -> dict[str, object]:
        async for event, data in stream:
            if event == wanted:
                return data
        raise AssertionError("stream ended")

    return await asyncio.wait_for(find(), within_s)
