"""``labshare-server ingest`` killed with SIGKILL in the middle of a stream, then restarted.

The worker acknowledges a message only after its rows are committed, and its MQTT session
survives the kill under the same client id: whatever was unacknowledged (queued, being
written, or committed but not yet acknowledged) comes back after the restart. The database
must end up with every published sample exactly once, with the published value, and no
sequence gap or dead letter invented by the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from tests.harness import MosquittoBroker
from tests.harness.telemetry import Publisher, Seeder, forget_session

# Kills and restarts an ingest process mid-stream: long fault injection, outside the fast lane.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

MESSAGES = 200
SAMPLES_PER_MESSAGE = 500
POINTS = ("temperature", "humidity")
EXPECTED = MESSAGES * SAMPLES_PER_MESSAGE
WARM_UP = 10


def _value(seq: int) -> float:
    # Distinct per sample, so a row stored from the wrong message would show.
    return seq * 0.25 - 1000.0


def stream_payloads(key: str, first_seq: int, count: int, start_ms: int) -> list[bytes]:
    """``count`` samples in messages of SAMPLES_PER_MESSAGE, alternating between two points."""
    payloads = []
    for first in range(first_seq, first_seq + count, SAMPLES_PER_MESSAGE):
        size = min(SAMPLES_PER_MESSAGE, first_seq + count - first)
        by_point: dict[str, list[Sample]] = {p: [] for p in POINTS}
        for seq in range(first, first + size):
            by_point[POINTS[seq % 2]].append(
                Sample(seq=seq, ts_ms=start_ms + seq * 10, value=_value(seq))
            )
        series = [
            Series(device="chamber-1", point=p, unit="degC" if p == "temperature" else "percent",
                   samples=s)
            for p, s in by_point.items() if s
        ]  # fmt: skip
        payloads.append(
            encode(TelemetryBatch(gateway=key, sent_at_ms=int(time.time() * 1000), series=series))
        )
    return payloads


class IngestProcess:
    """``labshare-server ingest`` as its own process; its log goes to a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "labshare-server"), "ingest"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def terminate(self) -> int | None:
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None
        finally:
            self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def ingest_process(
    database_url: str, mosquitto: MosquittoBroker, tmp_path: Path, repo_root: Path
) -> Iterator[IngestProcess]:
    client_id = f"ingest-kill-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_MQTT_HOST": mosquitto.host,
        "LABSHARE_MQTT_PORT": str(mosquitto.port),
        "LABSHARE_MQTT_PROTOCOL": "5",
        "LABSHARE_ENVIRONMENT": "development",
        # The same id on restart resumes the session that holds the unacknowledged messages.
        "LABSHARE_INGEST_CLIENT_ID": client_id,
        "LABSHARE_LOG_FORMAT": "console",
        "PYTHONPATH": str(repo_root),
    }
    process = IngestProcess(env, tmp_path / "ingest.log")
    yield process
    process.terminate()
    forget_session(mosquitto, client_id)


def _wait_for_count(conninfo: str, at_least: int, within_s: float, process: IngestProcess) -> int:
    deadline = time.monotonic() + within_s
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT count(*) FROM telemetry").fetchone()
            assert row is not None
            if row[0] >= at_least:
                return int(row[0])
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{row[0]} of {at_least} rows after {within_s} s; worker log:\n"
                    + process.log()[-4000:]
                )
            time.sleep(0.05)


def test_ingest_killed_mid_stream_loses_nothing_and_duplicates_nothing(
    seeder: Seeder,
    mosquitto: MosquittoBroker,
    database_conninfo: str,
    ingest_process: IngestProcess,
) -> None:
    key = f"gw-{uuid.uuid4().hex[:10]}"
    gateway = seeder.gateway(
        key, {("chamber-1", "temperature"): "degC", ("chamber-1", "humidity"): "percent"}
    )
    topic = topic_for(key, TopicKind.TELEMETRY)
    start_ms = int((datetime.now(UTC) - timedelta(hours=2)).timestamp() * 1000)
    publisher = Publisher(mosquitto)
    try:
        ingest_process.start()
        # Until the worker has subscribed nothing would be queued for it: a first small
        # message, stored, shows the session and its subscriptions exist.
        # Sent again until stored (a copy that arrives twice is stored once).
        [warm_up] = stream_payloads(key, 1, WARM_UP, start_ms)
        deadline = time.monotonic() + 60
        while True:
            publisher.publish(topic, warm_up)
            try:
                _wait_for_count(database_conninfo, WARM_UP, 1, ingest_process)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

        payloads = stream_payloads(key, WARM_UP + 1, EXPECTED, start_ms)
        assert len(payloads) == MESSAGES
        sender = threading.Thread(
            target=publisher.publish_many, args=([(topic, p) for p in payloads],)
        )
        sender.start()
        try:
            # Kill as soon as a commit shows part of the stream stored: the worker is then
            # acknowledging that batch or writing the next one.
            low, high = WARM_UP + EXPECTED // 10, WARM_UP + EXPECTED * 9 // 10
            deadline = time.monotonic() + 60
            with psycopg.connect(database_conninfo, autocommit=True) as conn:
                while True:
                    row = conn.execute("SELECT count(*) FROM telemetry").fetchone()
                    assert row is not None
                    if low <= row[0] <= high:
                        ingest_process.kill()
                        break
                    assert row[0] < high, f"missed the window: {row[0]} rows already stored"
                    assert time.monotonic() < deadline, ingest_process.log()[-4000:]
                    time.sleep(0.005)
                at_kill = conn.execute("SELECT count(*) FROM telemetry").fetchone()
        finally:
            sender.join(60)
        assert at_kill is not None
        assert at_kill[0] < WARM_UP + EXPECTED, "the kill came after everything was stored"

        # Everything the dead worker had not acknowledged waits in its session.
        ingest_process.start()
        _wait_for_count(database_conninfo, WARM_UP + EXPECTED, 120, ingest_process)
    finally:
        publisher.close()
    # Stopped cleanly, so anything still redelivered would have been written by now.
    assert ingest_process.terminate() == 0, ingest_process.log()[-4000:]
    # The restarted worker resumed the killed one's session rather than starting afresh.
    assert "(session present: True)" in ingest_process.log()

    stored = seeder.query(
        "SELECT c.point_key, (extract(epoch FROM t.ts) * 1000)::bigint, t.value, t.seq"
        " FROM telemetry t JOIN channel c ON c.id = t.channel_id ORDER BY t.seq"
    )
    published_seqs = range(1, WARM_UP + EXPECTED + 1)
    assert len(stored) == len(published_seqs)
    assert [r[3] for r in stored] == list(published_seqs)
    for point, ts_ms, value, seq in stored:
        assert (point, ts_ms, value) == (POINTS[seq % 2], start_ms + seq * 10, _value(seq))
    assert seeder.query("SELECT reason FROM dead_letter") == []
    assert seeder.query("SELECT first_missing, last_missing FROM gateway_seq_gap") == []
    assert seeder.scalar("SELECT last_seq FROM gateway WHERE id = %s", (gateway.id,)) == (
        WARM_UP + EXPECTED
    )
