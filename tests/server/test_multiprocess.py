"""Several server processes on one database and one broker, as `serve --workers N` or a
second host runs them: two API processes (`labshare-server serve`) and two ingest workers
(`labshare-server ingest`), all real processes.

- every published sample is stored once, and both API processes' live streams see it,
  whichever ingest worker wrote it;
- the scheduled jobs run in one process (a booking reminder is sent once) and the outbox is
  delivered once although both processes deliver it;
- when the leader dies, the other process takes over within a bound, and runs the jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.core.config import Settings
from server.core.db import create_engine, create_sessionmaker
from server.jobs.leader import LEADER_APPLICATION_NAME, LEADER_LOCK_KEY, LEADER_QUERY
from tests.harness import MosquittoBroker, free_port, wait_for_port
from tests.harness.factories import DEVICE_KEY, GATEWAY_KEY, PASSWORD, World, standard_world
from tests.harness.telemetry import Publisher, forget_session

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# How often a follower tries to become the leader, and how often jobs run, in this test.
POLL_S = 0.5
# A follower must have taken over this long after the leader was killed.
TAKEOVER_BOUND_S = 3 * POLL_S + 2.0
# Messages queued before the API starts; both processes compete to deliver them.
OUTBOX_MESSAGES = 30
SAMPLES = 20


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Stream:
    """Every event of one SSE stream, collected in the background."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def temperatures(self, channel_id: int) -> set[float]:
        return {
            r["value"]
            for event, data in self.events
            if event == "readings"
            for r in data["readings"]
            if r["channel_id"] == channel_id
        }


class Processes:
    def __init__(self, database_url: str, broker: MosquittoBroker) -> None:
        self.started: list[Proc] = []
        self.tag = uuid.uuid4().hex[:8]
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LABSHARE_DATABASE_URL": database_url,
            "LABSHARE_ENVIRONMENT": "test",
            # One key for both API processes: a token from one is good at the other.
            "LABSHARE_SECRET_KEY": secrets.token_urlsafe(48),
            "LABSHARE_MQTT_HOST": broker.host,
            "LABSHARE_MQTT_PORT": str(broker.port),
            "LABSHARE_LOG_LEVEL": "INFO",
            "LABSHARE_WEB_DIST": str(ROOT / "no-web-dist"),
        }

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        log = Path(tempfile.mkstemp(prefix=f"labshare-{name}-", suffix=".log")[1])
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", *args],
                env={**self.env, **env},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(name, process, log)
        self.started.append(proc)
        return proc

    def api(self, name: str, *, workers: int = 1) -> Proc:
        port = free_port()
        proc = self._start(
            name,
            ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            {
                "LABSHARE_INGEST_ENABLED": "false",
                "LABSHARE_JOBS_INTERVAL_S": str(POLL_S),
                "LABSHARE_JOBS_LEADER_POLL_S": str(POLL_S),
            },
        )
        proc.port = port
        return proc

    def ingest(self, name: str) -> Proc:
        # The worker opens its database connection at its first batch; the name tells which.
        url = self.env["LABSHARE_DATABASE_URL"]
        return self._start(
            name,
            ["ingest"],
            {
                "LABSHARE_INGEST_CLIENT_ID": f"ingest-mp-{self.tag}-{name}",
                "LABSHARE_DATABASE_URL": f"{url}?application_name=labshare-{name}",
            },
        )

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.process.poll() is None:
                proc.process.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.process.kill()
                proc.process.wait(timeout=5)

    def tracebacks(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.output()[-3000:]}" for p in self.started if "Traceback" in p.output()
        )


@pytest.fixture
def processes(database_url: str, mosquitto: MosquittoBroker) -> Iterator[Processes]:
    procs = Processes(database_url, mosquitto)
    yield procs
    procs.stop_all()
    for proc in procs.started:
        if proc.name.startswith("ingest"):
            forget_session(mosquitto, f"ingest-mp-{procs.tag}-{proc.name}")
    problems = procs.tracebacks()
    for proc in procs.started:
        proc.log.unlink(missing_ok=True)
    assert not problems, f"a server process logged a traceback:\n{problems}"


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    engine = create_engine(Settings(database_url=database_url))
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            built = await standard_world(session)
        yield built
    finally:
        await engine.dispose()


def sql(conninfo: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def leader_pids(conninfo: str) -> list[int]:
    rows = sql(conninfo, LEADER_QUERY, (LEADER_LOCK_KEY,))
    return [int(str(name).rsplit(":", 1)[1]) for (name,) in rows]


def add_booking(conninfo: str, world: World, starts_in: timedelta) -> uuid.UUID:
    start = datetime.now(UTC) + starts_in
    rows = sql(
        conninfo,
        "INSERT INTO booking (instrument_id, organisation_id, user_id, start_at, end_at, status)"
        " VALUES (%s, %s, %s, %s, %s, 'confirmed') RETURNING id",
        (
            world.instrument.id,
            world.users["buyer@jingce.demo"].organisation_id,
            world.users["buyer@jingce.demo"].id,
            start,
            start + timedelta(hours=1),
        ),
    )
    return uuid.UUID(str(rows[0][0]))


def reminders_of(conninfo: str, booking_id: uuid.UUID) -> int:
    rows = sql(
        conninfo,
        "SELECT count(*) FROM notification WHERE kind = 'booking_reminder'"
        " AND data->>'booking_id' = %s",
        (str(booking_id),),
    )
    return int(rows[0][0])


async def until(check: Any, within_s: float, what: str) -> float:
    """Poll ``check`` (a blocking call) until it is true; returns the seconds it took."""
    started = time.monotonic()
    while not await asyncio.to_thread(check):
        if time.monotonic() - started > within_s:
            raise AssertionError(f"not within {within_s} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def follow(http: httpx.AsyncClient, url: str, headers: dict[str, str], out: Stream) -> None:
    with contextlib.suppress(httpx.HTTPError):
        async with http.stream("GET", url, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    out.events.append((event, json.loads(line.removeprefix("data: "))))


def batch(seq: int, ts_ms: int, value: float) -> bytes:
    return encode(
        TelemetryBatch(
            gateway=GATEWAY_KEY,
            sent_at_ms=ts_ms,
            series=[
                Series(
                    device=DEVICE_KEY,
                    point="temperature",
                    unit="degC",
                    samples=[Sample(seq=seq, ts_ms=ts_ms, value=value)],
                )
            ],
        )
    )


async def test_two_api_processes_and_two_ingest_workers_share_one_database_and_broker(
    processes: Processes,
    world: World,
    database_conninfo: str,
    mosquitto: MosquittoBroker,
    record_property: Any,
) -> None:
    conninfo = database_conninfo
    # Work for the leader (a reminder) and for every process (the outbox) before they start.
    first_booking = add_booking(conninfo, world, timedelta(hours=2))
    manager = world.users["manager@zjim.demo"].id
    for i in range(OUTBOX_MESSAGES):
        sql(
            conninfo,
            "INSERT INTO outbox (kind, user_id, title, body, data) VALUES"
            " ('lab_notice', %s, %s, 'body', '{}'::jsonb)",
            (manager, f"notice {i}"),
        )

    apis = [processes.api("api-a"), processes.api("api-b")]
    ingests = [processes.ingest("ingest-1"), processes.ingest("ingest-2")]
    for api in apis:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", api.port or 0, 45)
    for proc in [*apis, *ingests]:
        assert proc.process.poll() is None, f"{proc.name} exited:\n{proc.output()[-3000:]}"

    # One leader; both processes hold a leadership connection.
    await until(lambda: len(leader_pids(conninfo)) == 1, 10, "one process leads")
    contenders = sql(
        conninfo,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s",
        (f"{LEADER_APPLICATION_NAME} %",),
    )
    assert contenders[0][0] == 2

    # The leader's reminder and the queued messages arrive once each, however many passes
    # both processes make.
    await until(lambda: reminders_of(conninfo, first_booking) >= 1, 20, "the reminder is sent")
    await until(
        lambda: sql(conninfo, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0] == 0,
        20,
        "the outbox is delivered",
    )
    await asyncio.sleep(6 * POLL_S)  # several more passes in both processes
    assert reminders_of(conninfo, first_booking) == 1
    delivered = sql(
        conninfo,
        "SELECT title, count(*) FROM notification WHERE kind = 'lab_notice' GROUP BY title",
    )
    assert len(delivered) == OUTBOX_MESSAGES
    assert {count for _, count in delivered} == {1}

    # Both API processes stream the instrument live; the token of one is good at the other.
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as http:
        token = await http.post(
            f"{apis[0].url}/api/v1/auth/token",
            data={"username": "staff@zjim.demo", "password": PASSWORD},
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        streams = [Stream(), Stream()]
        for api, stream in zip(apis, streams, strict=True):
            url = f"{api.url}/api/v1/instruments/{world.instrument.id}/live"
            stream.task = asyncio.create_task(follow(http, url, headers, stream))
        try:
            await run_streams(processes, apis, streams, world, conninfo, mosquitto, record_property)
        finally:
            for stream in streams:
                assert stream.task is not None
                stream.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await stream.task


async def run_streams(
    processes: Processes,
    apis: list[Proc],
    streams: list[Stream],
    world: World,
    conninfo: str,
    mosquitto: MosquittoBroker,
    record_property: Any,
) -> None:
    channel = world.channels["temperature"].id
    assert channel is not None
    topic = topic_for(GATEWAY_KEY, TopicKind.TELEMETRY)
    publisher = await asyncio.to_thread(Publisher, mosquitto)
    published: list[int] = []
    base_ms = int(time.time() * 1000) - 60_000

    async def publish(value: float, *, each_within_s: float) -> None:
        ts_ms = base_ms + len(published) * 100
        await asyncio.to_thread(publisher.publish, topic, batch(len(published) + 1, ts_ms, value))
        published.append(ts_ms)
        await until(
            lambda: all(value in s.temperatures(channel) for s in live),
            each_within_s,
            f"reading {value} on every live stream",
        )

    try:
        # Until every stream's process is subscribed to the live topics, a reading may pass it by.
        live = streams
        warm_up = 10.0
        while True:
            try:
                await publish(warm_up, each_within_s=1.0)
                break
            except AssertionError:
                warm_up += 0.001
                if len(published) > 40:
                    raise
        # Each reading reaches both processes' streams, whichever ingest worker stored it
        # (the broker hands the shared subscription's messages to the workers in turn).
        for i in range(SAMPLES):
            await publish(20.0 + i / 8, each_within_s=10.0)
        stored = sql(
            conninfo,
            "SELECT (extract(epoch FROM ts) * 1000)::bigint, count(*) FROM telemetry"
            " WHERE channel_id = %s GROUP BY ts",
            (channel,),
        )
        assert sorted(ts for ts, _ in stored) == sorted(published)
        assert {count for _, count in stored} == {1}
        # Both workers wrote some of them (each connects to the database for its first batch).
        writers = sql(
            conninfo,
            "SELECT DISTINCT application_name FROM pg_stat_activity"
            " WHERE application_name LIKE 'labshare-ingest-%%'",
        )
        assert sorted(name for (name,) in writers) == ["labshare-ingest-1", "labshare-ingest-2"]

        # Kill the leader outright: the other process leads within the bound.
        by_pid = {api.process.pid: api for api in apis}
        (leader_pid,) = leader_pids(conninfo)
        leader = by_pid[leader_pid]
        (survivor,) = [api for api in apis if api is not leader]
        killed_at = time.monotonic()
        leader.process.send_signal(signal.SIGKILL)
        await until(
            lambda: leader_pids(conninfo) == [survivor.process.pid],
            TAKEOVER_BOUND_S,
            "the surviving process leads",
        )
        takeover_s = time.monotonic() - killed_at
        record_property("takeover_s", round(takeover_s, 2))
        print(f"leader killed; the other process led {takeover_s:.2f} s later")

        # The new leader runs the scheduled jobs: a new booking's reminder, once.
        second_booking = add_booking(conninfo, world, timedelta(hours=3))
        await until(
            lambda: reminders_of(conninfo, second_booking) == 1, 10, "the new leader reminds"
        )
        # And the survivor's stream carries on.
        live = [streams[apis.index(survivor)]]
        await publish(42.5, each_within_s=10.0)
        await asyncio.sleep(4 * POLL_S)
        assert reminders_of(conninfo, second_booking) == 1
        assert sql(conninfo, "SELECT count(*) FROM telemetry WHERE channel_id = %s", (channel,))[0][
            0
        ] == len(published)
        assert leader.name in {p.name for p in processes.started}
    finally:
        await asyncio.to_thread(publisher.close)


async def test_serve_with_workers_runs_that_many_processes_and_one_leads(
    processes: Processes, database_conninfo: str
) -> None:
    api = processes.api("api", workers=2)
    await asyncio.to_thread(wait_for_port, "127.0.0.1", api.port or 0, 45)
    contenders = "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE %s"
    await until(
        lambda: len(sql(database_conninfo, contenders, (f"{LEADER_APPLICATION_NAME} %",))) == 2,
        30,
        "both worker processes compete for the leadership",
    )
    names = [n for (n,) in sql(database_conninfo, contenders, (f"{LEADER_APPLICATION_NAME} %",))]
    pids = {int(str(n).rsplit(":", 1)[1]) for n in names}
    assert api.process.pid not in pids  # the workers are the supervisor's children
    await until(lambda: len(leader_pids(database_conninfo)) == 1, 10, "one worker leads")
    assert set(leader_pids(database_conninfo)) <= pids
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(4):
            assert (await http.get(f"{api.url}/healthz")).status_code == 200


def test_serve_with_workers_refuses_an_ingest_worker_in_each_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main

    monkeypatch.setenv("LABSHARE_INGEST_ENABLED", "true")
    assert main(["serve", "--workers", "2"]) == 2
    assert "LABSHARE_INGEST_ENABLED=false" in capsys.readouterr().err
