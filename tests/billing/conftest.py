"""Billing tests: the shared app of tests/harness/app.py with its jobs off (tests drive them)."""

from __future__ import annotations

import pytest

from server.jobs import JobSettings


@pytest.fixture
def job_settings() -> JobSettings:
    return JobSettings(jobs_enabled=False)
