"""Booking tests: the shared app of tests/harness/app.py with its jobs off (tests drive them).

``API``, ``PROBLEM``, ``Login`` and ``certify`` stay importable from here for modules not yet
moved to ``tests.harness.app``.
"""

from __future__ import annotations

import pytest

from server.jobs import JobSettings
from tests.harness.app import API, PROBLEM, Login, certify

__all__ = ["API", "PROBLEM", "Login", "certify"]


@pytest.fixture
def job_settings() -> JobSettings:
    # Tests drive the jobs themselves (BackgroundJobs.run_once) with a chosen clock.
    return JobSettings(jobs_enabled=False)
