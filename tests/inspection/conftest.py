"""Inspection tests use the ingest fixtures (seeded gateways, a publisher, workers)."""

from tests.harness.telemetry import publisher, seeder, start_worker

__all__ = ["publisher", "seeder", "start_worker"]
