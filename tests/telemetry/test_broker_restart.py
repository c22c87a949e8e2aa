"""A broker restart while an edge agent streams loses nothing and duplicates nothing.

The real pieces: a ``labshare-edge run`` process polling a pymodbus chamber at 25 samples/s,
a ``labshare-server ingest`` process, and the harness's private Mosquitto 2.0 with
persistence. The broker is stopped for ``OUTAGE_S`` and started again.

Mosquitto 2.0 restores the ingest worker's persistent session after a restart but not its
``$share`` subscriptions, so until the worker has subscribed again the broker answers the
gateway's publishes with PUBACK 0x10 "no matching subscribers" and delivers them to nobody.
To make that window certain rather than a race between two reconnect backoffs, the worker is
frozen (SIGSTOP) while the broker comes back and thawed only after the gateway has been
publishing into the empty broker for a while. An MQTT 3.1.1 gateway read those PUBACKs as
delivered and deleted the samples from its spool; now every sequence number must be stored
exactly once.

Why ``OUTAGE_S`` is 15 s and not a minute: the loss comes from the restart itself (the
subscriptions it drops) and from the gateway publishing before the worker is back, which the
freeze forces however long the outage. The outage only sets how much is spooled (here 375
samples, drained as backlog after the reconnect, as after a minute) and where paho's
reconnect backoff stands (1, 2, 4, 8 s ... so the gateway is back within 16 s instead of
30 s). A full minute is covered for the gateway alone by
tests/edge_agent/test_gateway_integration.py::test_broker_down_for_a_minute_loses_nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from edge_agent.spool import SampleSpool
from tests.edge_agent import conftest as edge_fixtures
from tests.harness import MosquittoBroker
from tests.harness.edge import ModbusPeer, chamber, gateway_doc, spawn_agent
from tests.harness.ports import free_port
from tests.harness.telemetry import Seeder, forget_session

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The gateway tests' pymodbus servers, started and shut down around each test.
modbus_servers = edge_fixtures.modbus_servers

OUTAGE_S = 15.0
# Three points polled every 0.12 s.
SAMPLES_PER_S = 25


class Process:
    """A child process whose output goes to a log file."""

    def __init__(self, proc: subprocess.Popen[bytes], log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def terminate(self, timeout: float = 30) -> int | None:
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGCONT)
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in reversed(started):
        process.terminate()


def start_ingest(
    database_url: str, broker: MosquittoBroker, client_id: str, log_path: Path, repo_root: Path
) -> Process:
    env = {
        **os.environ,
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_MQTT_HOST": broker.host,
        "LABSHARE_MQTT_PORT": str(broker.port),
        "LABSHARE_MQTT_PROTOCOL": "5",
        "LABSHARE_ENVIRONMENT": "development",
        "LABSHARE_INGEST_CLIENT_ID": client_id,
        "LABSHARE_LOG_FORMAT": "console",
        "PYTHONPATH": str(repo_root),
    }
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "labshare-server"), "ingest"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Process(proc, log_path)


def scrape(port: int) -> dict[str, float]:
    """The agent's Prometheus metrics, ``name{labels}`` -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
        text = response.read().decode()
    metrics: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
        if match:
            metrics[match.group(1)] = float(match.group(2))
    return metrics


async def until(
    check: Callable[[], bool], within_s: float, what: str, why: Callable[[], str]
) -> None:
    deadline = time.monotonic() + within_s
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within_s} s waiting for {what}\n{why()}")
        await asyncio.sleep(0.2)


def stored_seqs(conninfo: str) -> list[int]:
    with psycopg.connect(conninfo) as conn:
        return [r[0] for r in conn.execute("SELECT seq FROM telemetry ORDER BY seq").fetchall()]


@pytest.mark.timeout(300)
async def test_broker_restart_before_the_worker_resubscribes_loses_no_sample(
    seeder: Seeder,
    mosquitto: MosquittoBroker,
    database_url: str,
    database_conninfo: str,
    modbus_servers: Callable[..., ModbusPeer],
    processes: list[Process],
    tmp_path: Path,
    repo_root: Path,
) -> None:
    key = f"gw-restart-{uuid.uuid4().hex[:6]}"
    seeder.gateway(
        key,
        {
            ("chamber-1", "temperature"): "degC",
            ("chamber-1", "humidity"): "percent",
            ("chamber-1", "power"): "W",
        },
    )
    peer = await modbus_servers([chamber()])  # type: ignore[misc]
    metrics_port = free_port()
    spool_path = tmp_path / "spool.sqlite3"
    doc = gateway_doc(key, mosquitto, peer.port, spool_path)
    doc["metrics"] = {"port": metrics_port}
    doc["devices"][0]["poll_interval_s"] = 3 / SAMPLES_PER_S
    config_path = tmp_path / "gateway.yaml"
    config_path.write_text(yaml.safe_dump(doc))

    client_id = f"ingest-restart-{uuid.uuid4().hex[:8]}"
    ingest = start_ingest(database_url, mosquitto, client_id, tmp_path / "ingest.log", repo_root)
    processes.append(ingest)
    agent = Process(spawn_agent(config_path, tmp_path / "agent.log"), tmp_path / "agent.log")
    processes.append(agent)

    def logs() -> str:
        return f"agent log:\n{agent.log()}\ningest log:\n{ingest.log()}\nbroker:\n{mosquitto.log_tail()}"

    try:
        await until(lambda: len(stored_seqs(database_conninfo)) >= 50, 60, "first rows", logs)

        mosquitto.stop()
        await asyncio.sleep(OUTAGE_S)
        # The worker stays away while the broker comes back: the broker has its session but
        # no subscription, and the gateway publishes into that.
        assert ingest.proc.pid is not None
        ingest.proc.send_signal(signal.SIGSTOP)
        try:
            mosquitto.start()
            await until(
                lambda: scrape(metrics_port).get("labshare_edge_broker_connected") == 1.0,
                45,
                "the gateway's reconnect",
                logs,
            )
            await asyncio.sleep(4.0)
        finally:
            ingest.proc.send_signal(signal.SIGCONT)
        during_gap = scrape(metrics_port)

        # Everything spooled, rejected and live reaches the database once the worker is back.
        await asyncio.sleep(3.0)
        await until(
            lambda: scrape(metrics_port).get("labshare_edge_spool_depth", 1) < 10,
            90,
            "the gateway's spool to drain",
            logs,
        )
    finally:
        agent_rc = agent.terminate()
    assert agent_rc == 0, logs()
    spool = SampleSpool(spool_path)
    last_seq, left = spool.last_seq, spool.depth
    spool.close()
    assert left == 0, f"{left} samples still spooled after a clean stop\n{logs()}"
    assert last_seq > SAMPLES_PER_S * (OUTAGE_S + 10) * 0.5

    await until(
        lambda: len(stored_seqs(database_conninfo)) >= last_seq,
        60,
        f"{last_seq} rows",
        lambda: f"stored {len(stored_seqs(database_conninfo))}\n{logs()}",
    )
    assert ingest.terminate() == 0, logs()
    forget_session(mosquitto, client_id)

    seqs = stored_seqs(database_conninfo)
    missing = sorted(set(range(1, last_seq + 1)) - set(seqs))
    assert not missing, f"{len(missing)} of {last_seq} samples lost, e.g. {missing[:10]}"
    assert seqs == list(range(1, last_seq + 1)), "a sequence number was stored twice"
    assert seeder.query("SELECT reason FROM dead_letter") == []
    # The scenario really happened: the broker told the gateway nobody was subscribed.
    rejected = during_gap.get('labshare_edge_publish_rejected_total{reason="0x10"}', 0)
    assert rejected >= 1, f"no PUBACK 0x10 seen; metrics: {during_gap}"
