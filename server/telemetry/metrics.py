"""Prometheus metrics of the ingest worker (process-wide, shared by every worker instance)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BATCHES",
    "DEAD_LETTERS",
    "DEAD_LETTERS_SUPPRESSED",
    "ERRORS",
    "MESSAGES",
    "QUEUE_DEPTH",
    "ROWS_WRITTEN",
    "WRITE_RETRIES",
    "WRITE_SECONDS",
]

MESSAGES = Counter(
    "labshare_ingest_messages_total", "MQTT messages received by the ingest worker", ["kind"]
)
ROWS_WRITTEN = Counter(
    "labshare_ingest_rows_written_total", "Telemetry rows committed (before deduplication)"
)
BATCHES = Counter(
    "labshare_ingest_batches_total",
    "Write batches committed, by path (copy, or on_conflict after a redelivery)",
    ["path"],
)
DEAD_LETTERS = Counter(
    "labshare_ingest_dead_letters_total",
    "Dead-letter records stored (one per refused message, or a summary), by first reason",
    ["reason"],
)
DEAD_LETTERS_SUPPRESSED = Counter(
    "labshare_ingest_dead_letters_suppressed_total",
    "Dead letters not stored because their gateway exceeded its dead-letter limit",
    ["reason"],
)
ERRORS = Counter(
    "labshare_ingest_errors_total",
    "Unexpected failures the ingest worker survived, by stage (decode, writer)",
    ["stage"],
)
WRITE_SECONDS = Histogram(
    "labshare_ingest_write_seconds",
    "Time from the start of a write batch to its COMMIT",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WRITE_RETRIES = Counter(
    "labshare_ingest_write_retries_total", "Write batches retried because the database failed"
)
QUEUE_DEPTH = Gauge(
    "labshare_ingest_queue_depth", "Messages received but not yet committed and acknowledged"
)
