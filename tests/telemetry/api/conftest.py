"""The shared app of tests/harness/app.py on the harness Mosquitto, with live streams on and
the jobs driven by the tests, for the telemetry query, export, state and live tests."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import SecretStr

from server.core.config import Environment, Settings
from server.jobs import JobSettings
from server.telemetry.config import TelemetrySettings
from tests.harness import MosquittoBroker


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
def job_settings() -> JobSettings:
    return JobSettings(jobs_enabled=False)
