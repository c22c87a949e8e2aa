"""The whole stack under a province's shape of load, on loopback, for a bounded time.

Starts a private PostgreSQL + TimescaleDB and a private Mosquitto (the test harness's classes),
migrates, seeds the demo, and registers ``--gateways`` gateways under the demo institution,
each with one instrument (calibrated, open for booking) and ``--channels`` channels, in labs of
20 instruments. Then runs, as separate processes, one API server (``uvicorn``, background jobs
and live streams on) and one ingest worker (``labshare-server ingest``), and for
``--duration`` seconds:

* every gateway publishes its channels at 1 Hz through Mosquitto (QoS 1, one telemetry batch
  per gateway and second); publishers are a few MQTT connections each speaking for 50
  gateways, not one connection per gateway;
* ``--users`` simulated users act with a random think time (mean ``--think-s``): catalogue
  search (50 %), a lab's live board (20 %), an hour's chart of one channel (20 %), booking a
  two-hour slot (10 %); one user in ten also keeps a lab's live stream (SSE) open throughout.

Reported (one JSON object): samples offered, stored and lost (lost must be 0), duplicates,
ingest lag (publish to committed row, probed on one channel in a hundred every 50 ms) p50/p99,
API latency p50/p99 and errors per endpoint class, live events received, CPU seconds per
component (API, ingest, broker, PostgreSQL, the load generator itself) and per second of load,
and the database's growth extrapolated to a day. ``ratio`` = stored / offered.

    .venv/bin/python benchmarks/whole_stack_load.py                       # 1,000 gateways, 200 users, 10 min
    .venv/bin/python benchmarks/whole_stack_load.py --gateways 200 --duration 120
    .venv/bin/python benchmarks/whole_stack_load.py --smoke               # seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as paho
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for  # noqa: E402
from server.core.config import Environment, Settings  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from server.demo.credentials import DEMO_PASSWORD  # noqa: E402
from server.demo.seed import run_seed_demo  # noqa: E402
from tests.harness import MosquittoBroker, PostgresCluster  # noqa: E402
from tests.harness.live_server import live_server  # noqa: E402
from tests.harness.loadgen import HttpConnection, cpu_seconds, percentile, pids  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
LAB_SIZE = 20
GATEWAYS_PER_PUBLISHER = 50
PROBE_EVERY = 100  # one gateway in a hundred has its first channel probed for ingest lag
SEARCH_TERMS = ("色谱", "电镜", "试验箱", "chromatograph", "负载", "光谱", "XRD", "温度")
DRAIN_STALL_S = 30.0
# The rows of the load's gateways (the demo seed has telemetry of its own).
LOAD_ROWS = (
    "FROM telemetry t JOIN channel c ON c.id = t.channel_id "
    "JOIN gateway g ON g.id = c.gateway_id WHERE g.key LIKE 'load-gw-%'"
)


@dataclass
class Load:
    organisation: uuid.UUID
    labs: list[uuid.UUID]
    instruments: list[uuid.UUID]
    gateways: list[str]
    channels: dict[str, list[int]]  # gateway key -> channel ids in point order


def seed_load(conninfo: str, gateways: int, channels: int) -> Load:
    """Labs of 20 instruments under the demo institution; one gateway per instrument."""
    now = datetime.now(UTC)
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT organisation_id FROM app_user WHERE email = 'manager@zjim.demo'"
        ).fetchone()
        assert row is not None
        organisation = row[0]
        load = Load(organisation, [], [], [], {})
        for g in range(gateways):
            if g % LAB_SIZE == 0:
                lab = conn.execute(
                    "INSERT INTO lab (organisation_id, name, name_en) VALUES (%s, %s, %s) "
                    "RETURNING id",
                    (
                        organisation,
                        f"负载实验室 {g // LAB_SIZE + 1}",
                        f"Load lab {g // LAB_SIZE + 1}",
                    ),
                ).fetchone()
                assert lab is not None
                load.labs.append(lab[0])
            instrument = conn.execute(
                "INSERT INTO instrument (lab_id, organisation_id, name, name_en, is_open) "
                "VALUES (%s, %s, %s, %s, true) RETURNING id",
                (load.labs[-1], organisation, f"负载试验箱 {g:04d}", f"Load chamber {g:04d}"),
            ).fetchone()
            assert instrument is not None
            load.instruments.append(instrument[0])
            conn.execute(
                "INSERT INTO calibration_certificate (instrument_id, organisation_id, number, "
                "agency, granted_on, valid_from, valid_to, result) "
                "VALUES (%s, %s, %s, 'load', %s, %s, %s, 'pass')",
                (instrument[0], organisation, f"L{g}", now.date(), now - timedelta(days=1),
                 now + timedelta(days=365)),
            )  # fmt: skip
            key = f"load-gw-{g:04d}"
            gateway = conn.execute(
                "INSERT INTO gateway (key, organisation_id, name, secret_hash) "
                "VALUES (%s, %s, %s, 'not-used-here') RETURNING id",
                (key, organisation, f"Load gateway {g:04d}"),
            ).fetchone()
            assert gateway is not None
            ids = []
            for c in range(channels):
                channel = conn.execute(
                    "INSERT INTO channel (instrument_id, gateway_id, device_key, point_key, name, "
                    "canonical_unit) VALUES (%s, %s, 'dev', %s, %s, 'degC') RETURNING id",
                    (instrument[0], gateway[0], f"p{c}", f"温度 {c}"),
                ).fetchone()
                assert channel is not None
                ids.append(channel[0])
            load.gateways.append(key)
            load.channels[key] = ids
    return load


@dataclass
class Publishing:
    """What the gateway publishers offered, and when each probed sample left."""

    offered: int = 0
    sent_at: dict[tuple[int, int], float] = field(default_factory=dict)  # (channel, seq) -> time
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: int = 0
    failures: list[BaseException] = field(default_factory=list)


def recording_failures(
    target: Callable[..., None], failures: list[BaseException], stop: threading.Event
) -> Callable[..., None]:
    """``target`` for a thread: an exception it raises is kept in ``failures`` and stops the
    run, so the main thread reports it instead of counting a silent thread as lost samples."""

    def run(*args: object) -> None:
        try:
            target(*args)
        except BaseException as exc:
            failures.append(exc)
            stop.set()
            raise

    return run


def publish(
    broker: MosquittoBroker,
    load: Load,
    keys: list[str],
    channels: int,
    stop: threading.Event,
    out: Publishing,
    name: str,
) -> None:
    """Each gateway of ``keys`` sends one batch a second until ``stop``; QoS 1."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=paho.MQTTv5)
    client.max_inflight_messages_set(len(keys) * 4)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    probes = {k: load.channels[k][0] for k in keys if int(k.rsplit("-", 1)[1]) % PROBE_EVERY == 0}
    tick = 0
    next_tick = time.monotonic()
    infos = []
    try:
        while not stop.is_set():
            ts_ms = int(time.time() * 1000)
            for key in keys:
                series = [
                    Series(
                        device="dev",
                        point=f"p{c}",
                        unit="degC",
                        # A gateway numbers its samples across all its channels.
                        samples=[
                            Sample(
                                seq=tick * channels + c, ts_ms=ts_ms, value=20.0 + tick % 50 / 10
                            )
                        ],
                    )
                    for c in range(channels)
                ]
                message = encode(TelemetryBatch(gateway=key, sent_at_ms=ts_ms, series=series))
                if key in probes:
                    with out.lock:
                        out.sent_at[(probes[key], tick * channels)] = time.monotonic()
                infos.append(client.publish(topic_for(key, TopicKind.TELEMETRY), message, qos=1))
            with out.lock:
                out.offered += len(keys) * channels
            tick += 1
            next_tick += 1.0
            stop.wait(max(0.0, next_tick - time.monotonic()))
        for info in infos:
            info.wait_for_publish(60)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                out.errors += 1
    finally:
        client.disconnect()
        client.loop_stop()


def probe_lag(conninfo: str, out: Publishing, stop: threading.Event, lags: list[float]) -> None:
    """Every 50 ms: which probed samples are committed now; lag = now - when they were sent."""
    seen: dict[int, int] = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while not stop.wait(0.05):
            with out.lock:
                channels = sorted({c for c, _ in out.sent_at})
            if not channels:
                continue
            rows = conn.execute(
                "SELECT channel_id, max(seq) FROM telemetry "
                "WHERE channel_id = ANY(%s) AND ts > now() - interval '5 minutes' "
                "GROUP BY channel_id",
                (channels,),
            ).fetchall()
            now = time.monotonic()
            with out.lock:
                for channel, top in rows:
                    for s in range(seen.get(channel, -1) + 1, int(top) + 1):
                        sent = out.sent_at.pop((channel, s), None)
                        if sent is not None:
                            lags.append(now - sent)
                    seen[channel] = max(seen.get(channel, -1), int(top))


@dataclass
class Users:
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    live_events: int = 0
    live_first_event_s: list[float] = field(default_factory=list)


async def _token(base: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post(
            "/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}
        )
        r.raise_for_status()
        return f"Bearer {r.json()['access_token']}"


async def run_users(
    base: str, load: Load, users: int, think_s: float, duration: float, seed: int
) -> Users:
    out = Users()
    manager = await _token(base, "manager@zjim.demo")
    staff = await _token(base, "staff@zjim.demo")
    deadline = time.monotonic() + duration
    today = datetime.now(SHANGHAI).date()
    first_slot = datetime(today.year, today.month, today.day, 8, tzinfo=SHANGHAI) + timedelta(
        days=2
    )
    slots: dict[uuid.UUID, int] = defaultdict(int)

    async def timed(cls: str, conn: HttpConnection, method: str, path: str, body: bytes = b"",
                    auth: str = "", ok: int = 200) -> None:  # fmt: skip
        t0 = time.perf_counter()
        status, _ = await conn.request(method, path, body, auth)
        out.latency[cls].append(time.perf_counter() - t0)
        if status != ok:
            out.errors[cls] += 1

    async def user(n: int) -> None:
        rnd = random.Random(seed + n)
        conn = await HttpConnection.open(base)
        try:
            await asyncio.sleep(rnd.uniform(0, think_s))  # users arrive spread out
            while time.monotonic() < deadline:
                action = rnd.random()
                if action < 0.5:
                    term = quote(rnd.choice(SEARCH_TERMS))
                    await timed("catalogue", conn, "GET", f"/api/v1/catalogue/instruments?q={term}")
                elif action < 0.7:
                    lab = rnd.choice(load.labs)
                    await timed("board", conn, "GET", f"/api/v1/labs/{lab}/board", auth=manager)
                elif action < 0.9:
                    key = rnd.choice(load.gateways)
                    channel = rnd.choice(load.channels[key])
                    instrument = load.instruments[load.gateways.index(key)]
                    end = datetime.now(UTC)
                    query = (f"channel_id={channel}&start={quote((end - timedelta(hours=1)).isoformat())}"
                             f"&end={quote(end.isoformat())}&max_points=600")  # fmt: skip
                    await timed("chart", conn, "GET",
                                f"/api/v1/instruments/{instrument}/series?{query}", auth=manager)  # fmt: skip
                else:
                    instrument = rnd.choice(load.instruments)
                    k = slots[instrument]
                    slots[instrument] += 1
                    start = first_slot + timedelta(hours=2 * k)
                    body = json.dumps({"instrument_id": str(instrument), "start_at": start.isoformat(),
                                       "end_at": (start + timedelta(hours=2)).isoformat()}).encode()  # fmt: skip
                    await timed("booking", conn, "POST", "/api/v1/bookings", body, staff, ok=201)
                await asyncio.sleep(min(rnd.expovariate(1 / think_s), 4 * think_s))
        finally:
            conn.close()

    async def watcher(n: int) -> None:
        conn = await HttpConnection.open(base)
        lab = load.labs[n % len(load.labs)]
        t0 = time.perf_counter()
        try:
            status = await conn.send_head("GET", f"/api/v1/labs/{lab}/live", b"", manager,
                                          accept="text/event-stream")  # fmt: skip
            if status != 200:
                out.errors["live"] += 1
                return
            first = True
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                try:
                    line = await asyncio.wait_for(conn.reader.readline(), remaining)
                except TimeoutError:
                    return
                if line.startswith(b"event: readings"):
                    out.live_events += 1
                    if first:
                        out.live_first_event_s.append(time.perf_counter() - t0)
                        first = False
        finally:
            conn.close()

    await asyncio.gather(*(user(n) for n in range(users)),
                         *(watcher(n) for n in range(max(1, users // 10))))  # fmt: skip
    return out


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
    }


def _database(conninfo: str, sql: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _cpu(components: dict[str, list[int]], cluster: PostgresCluster) -> dict[str, float]:
    """CPU seconds so far per component; PostgreSQL counts its postmaster, its live backends
    and the backends that have ended (reaped by the postmaster)."""
    out = {name: sum(cpu_seconds(p) for p in ps) for name, ps in components.items()}
    postmasters = pids(f"-D\0{cluster.datadir}\0".encode())
    own = sum(cpu_seconds(p) + cpu_seconds(p, reaped_children=True) for p in postmasters)
    out["postgresql"] = own + _children_cpu(postmasters)
    out["load_generator"] = time.process_time()
    return out


def _children_cpu(parents: list[int]) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in parents:  # its parent process id
                total += cpu_seconds(int(entry.name))
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gateways", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=10, help="channels per gateway (1 Hz)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think-s", type=float, default=10.0, help="mean pause between actions")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="10 gateways, 4 users, 6 s")
    args = parser.parse_args(argv)
    if args.smoke:
        args.gateways, args.users, args.duration, args.think_s = 10, 4, 6.0, 1.0
    cluster = PostgresCluster()
    broker = MosquittoBroker()
    cluster.start()
    broker.start()
    ingest: subprocess.Popen[bytes] | None = None
    ingest_log: Path | None = None
    try:
        name = cluster.create_database()
        url = cluster.url(name)
        conninfo = cluster.url(name, driver="postgresql")
        upgrade(url)
        run_seed_demo(Settings(environment=Environment.DEVELOPMENT, database_url=url))
        print(f"seeding {args.gateways} gateways x {args.channels} channels", file=sys.stderr)
        load = seed_load(conninfo, args.gateways, args.channels)
        env = {
            "LABSHARE_MQTT_HOST": broker.host,
            "LABSHARE_MQTT_PORT": str(broker.port),
            "LABSHARE_JOBS_ENABLED": "true",
        }
        ingest_log = Path(tempfile.mkstemp(prefix="labshare-ingest-", suffix=".log")[1])
        with ingest_log.open("wb") as log:
            ingest = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "ingest"],
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT),
                    "LABSHARE_DATABASE_URL": url,
                    "LABSHARE_ENVIRONMENT": "test",
                    "LABSHARE_SECRET_KEY": secrets.token_urlsafe(48),
                    "LABSHARE_INGEST_CLIENT_ID": "load-ingest",
                    "LABSHARE_LOG_LEVEL": "WARNING",
                    **env,
                },
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        with live_server(url, env=env) as base:
            port = urlsplit(base).port
            components = {
                "api": pids(f"--port\0{port}\0".encode()),
                "ingest": [ingest.pid],
                "broker": [broker._proc.pid] if broker._proc is not None else [],
            }
            time.sleep(2.0)  # the worker subscribes and the API's live hub connects
            size_before = _database(conninfo, "SELECT pg_database_size(current_database())")
            cpu_before = _cpu(components, cluster)
            stop = threading.Event()
            published = Publishing()
            lags: list[float] = []
            slices = [load.gateways[i : i + GATEWAYS_PER_PUBLISHER]
                      for i in range(0, len(load.gateways), GATEWAYS_PER_PUBLISHER)]  # fmt: skip
            publish_safely = recording_failures(publish, published.failures, stop)
            threads = [
                threading.Thread(target=publish_safely, name=f"publisher-{i}", daemon=True,
                                 args=(broker, load, keys, args.channels, stop, published, f"load-pub-{i}"))
                for i, keys in enumerate(slices)
            ]  # fmt: skip
            threads.append(threading.Thread(target=probe_lag, args=(conninfo, published, stop, lags),
                                            daemon=True))  # fmt: skip
            started = time.monotonic()
            for t in threads:
                t.start()
            users = asyncio.run(
                run_users(base, load, args.users, args.think_s, args.duration, args.seed)
            )
            stop.set()
            for t in threads:
                t.join(120)
            loaded_s = time.monotonic() - started
            if published.failures:
                raise RuntimeError("a gateway publisher failed") from published.failures[0]
            cpu_after = _cpu(components, cluster)
            # Drain: wait until every offered sample is stored, or nothing moves any more.
            stored, moved_at = 0, time.monotonic()
            while stored < published.offered and time.monotonic() - moved_at < DRAIN_STALL_S:
                now_stored = _database(conninfo, f"SELECT count(*) {LOAD_ROWS}")
                if now_stored > stored:
                    stored, moved_at = now_stored, time.monotonic()
                time.sleep(0.5)
            distinct = _database(
                conninfo, f"SELECT count(DISTINCT (t.channel_id, t.seq)) {LOAD_ROWS}"
            )
            size_after = _database(conninfo, "SELECT pg_database_size(current_database())")
    finally:
        if ingest is not None and ingest.poll() is None:
            ingest.terminate()
            ingest.wait(15)
        broker.destroy()
        cluster.destroy()
        if ingest_log is not None:
            output = ingest_log.read_text(errors="replace")
            if "Traceback" in output:
                sys.stderr.write(f"--- ingest worker log\n{output[-5000:]}")
            ingest_log.unlink()
    cpu = {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after}
    result = {
        "gateways": args.gateways,
        "channels_per_gateway": args.channels,
        "users": args.users,
        "think_s": args.think_s,
        "duration_s": round(loaded_s, 1),
        "samples_offered": published.offered,
        "samples_stored": distinct,
        "samples_lost": published.offered - distinct,
        "duplicate_rows": stored - distinct,
        "publish_errors": published.errors,
        "ingest_lag": _summary(lags),
        "api": {
            cls: {**_summary(v), "errors": users.errors.get(cls, 0)}
            for cls, v in sorted(users.latency.items())
        },
        "live": {
            "events": users.live_events,
            "errors": users.errors.get("live", 0),
            "first_event": _summary(users.live_first_event_s),
        },
        "cpu_seconds": cpu,
        "cpu_cores": {k: round(v / loaded_s, 2) for k, v in cpu.items()},
        "database_growth_mb_per_day": round(
            (size_after - size_before) / loaded_s * 86400 / 2**20, 0
        ),
        "ratio": round(distinct / published.offered, 4) if published.offered else 0.0,
        "ratio_meaning": "samples stored / samples offered (1.0: nothing lost)",
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))
    return 0 if result["samples_lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
