"""Fixtures for ingest integration tests: seeded gateways/channels, a publisher, workers,
raw SQL writes (defined in tests/harness/telemetry.py).

The helper classes stay importable from here for modules not yet moved to
``tests.harness.telemetry``; new code imports them from there.
"""

from tests.harness.telemetry import (
    Publisher,
    SeededGateway,
    Seeder,
    Telemetry,
    WorkerFactory,
    eventually,
    forget_session,
    publisher,
    seeder,
    start_worker,
    telemetry,
)

__all__ = [
    "Publisher",
    "SeededGateway",
    "Seeder",
    "Telemetry",
    "WorkerFactory",
    "eventually",
    "forget_session",
    "publisher",
    "seeder",
    "start_worker",
    "telemetry",
]
