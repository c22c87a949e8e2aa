"""Fixtures for ingest integration tests: seeded gateways and channels, a publisher, workers.

The fixtures are defined in tests/harness/telemetry.py, with the helpers tests import from there.
"""

from tests.harness.telemetry import publisher, seeder, start_worker, telemetry

__all__ = ["publisher", "seeder", "start_worker", "telemetry"]
