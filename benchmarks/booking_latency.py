"""Booking latency under concurrent clients, through a real server process.

Starts a private PostgreSQL (the test harness's class), migrates and seeds the demo data,
adds ``--clients`` calibrated instruments, runs ``uvicorn`` on a free port and lets
``--clients`` concurrent clients each book ``--bookings`` consecutive two-hour slots on their
own instrument (every request does the full work: rules, calibration check, quote, insert
under the exclusion constraint, outbox row). As a floor measured in the same run, the same
clients hit ``GET /healthz`` (no database, no auth).

Prints one JSON object: p50/p99 of both, ``ratio`` = booking p50 / floor p50, and the CPU
time the server process and its PostgreSQL backends spent per booking (read from /proc). On a
shared 2-core machine latency and throughput move with everybody else's load; CPU per
booking barely does, so it is the figure to compare between versions.

The clients speak HTTP/1.1 over one keep-alive connection each, written by hand: httpx with
200 concurrent connections used more CPU than the server it was measuring (13 s against 9 s
for 1,000 bookings), so the figures were mostly the load generator's.

    .venv/bin/python benchmarks/booking_latency.py              # 200 clients
    .venv/bin/python benchmarks/booking_latency.py --smoke      # seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.core.config import Environment, Settings  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from server.demo.credentials import DEMO_PASSWORD  # noqa: E402
from server.demo.seed import run_seed_demo  # noqa: E402
from tests.harness import PostgresCluster  # noqa: E402
from tests.harness.live_server import live_server  # noqa: E402
from tests.harness.loadgen import HttpConnection, cpu_seconds, percentile, pids  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_instruments(conninfo: str, count: int) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT lab_id, organisation_id FROM instrument WHERE name = '高低温试验箱'"
        ).fetchone()
        assert row is not None
        ids = [uuid.uuid4() for _ in range(count)]
        for n, i in enumerate(ids):
            conn.execute(
                "INSERT INTO instrument (id, lab_id, organisation_id, name, is_open) "
                "VALUES (%s, %s, %s, %s, true)",
                (i, row[0], row[1], f"bench {n}"),
            )
            conn.execute(
                "INSERT INTO calibration_certificate (instrument_id, organisation_id, number, "
                "agency, granted_on, valid_from, valid_to, result) "
                "VALUES (%s, %s, %s, 'bench', %s, %s, %s, 'pass')",
                (
                    i,
                    row[1],
                    f"B{n}",
                    now.date(),
                    now - timedelta(days=1),
                    now + timedelta(days=365),
                ),
            )
        conn.commit()
    return ids


def cpu_snapshot(port: int, cluster: PostgresCluster, database: str) -> tuple[float, float]:
    """CPU seconds so far of the uvicorn process on ``port`` and of the cluster's backends.

    Backends that have ended (a pool closes surplus connections) count through the
    postmaster, which reaps them.
    """
    server = sum(cpu_seconds(p) for p in pids(f"--port\0{port}\0".encode()))
    backends = sum(cpu_seconds(p) for p in pids(f"postgres: postgres {database} ".encode()))
    postmaster = pids(f"-D\0{cluster.datadir}\0".encode())
    reaped = sum(cpu_seconds(p, reaped_children=True) for p in postmaster)
    return server, backends + reaped


def sessions_opened(cluster: PostgresCluster, database: str) -> int:
    """Connections ever opened to ``database`` (pg_stat_database.sessions, PostgreSQL 14+)."""
    with psycopg.connect(cluster.url("postgres", driver="postgresql")) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


async def measure(
    base: str,
    instruments: list[uuid.UUID],
    bookings: int,
    cluster: PostgresCluster,
    database: str,
) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post(
            "/api/v1/auth/token", data={"username": "staff@zjim.demo", "password": DEMO_PASSWORD}
        )
        authorization = f"Bearer {r.json()['access_token']}"
    port = urlsplit(base).port
    assert port is not None
    connections = [await HttpConnection.open(base) for _ in instruments]
    today = datetime.now(SHANGHAI).date()
    first = datetime(today.year, today.month, today.day, 8, tzinfo=SHANGHAI) + timedelta(days=2)

    async def floor_client(connection: HttpConnection) -> list[float]:
        out = []
        for _ in range(bookings):
            t0 = time.perf_counter()
            status, _ = await connection.request("GET", "/healthz")
            out.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"healthz failed: {status}")
        return out

    async def booking_client(connection: HttpConnection, instrument: uuid.UUID) -> list[float]:
        out = []
        for k in range(bookings):
            start = first + timedelta(hours=2 * k)
            payload = {
                "instrument_id": str(instrument),
                "start_at": start.isoformat(),
                "end_at": (start + timedelta(hours=2)).isoformat(),
            }
            t0 = time.perf_counter()
            status, text = await connection.request(
                "POST", "/api/v1/bookings", json.dumps(payload).encode(), authorization
            )
            out.append(time.perf_counter() - t0)
            if status != 201:
                raise RuntimeError(f"booking failed: {status} {text.decode(errors='replace')}")
        return out

    try:
        t0 = time.perf_counter()
        floor = [x for xs in await asyncio.gather(*map(floor_client, connections)) for x in xs]
        t1 = time.perf_counter()
        cpu_before = cpu_snapshot(port, cluster, database)
        sessions_before = sessions_opened(cluster, database)
        booked = [
            x
            for xs in await asyncio.gather(*map(booking_client, connections, instruments))
            for x in xs
        ]
        t2 = time.perf_counter()
        cpu_after = cpu_snapshot(port, cluster, database)
        sessions_after = sessions_opened(cluster, database)
    finally:
        for connection in connections:
            connection.close()
    ms = 1000.0
    return {
        "clients": len(instruments),
        "bookings": len(booked),
        "booking_p50_ms": round(statistics.median(booked) * ms, 1),
        "booking_p99_ms": round(percentile(booked, 0.99) * ms, 1),
        "bookings_per_s": round(len(booked) / (t2 - t1), 1),
        "server_cpu_ms_per_booking": round((cpu_after[0] - cpu_before[0]) / len(booked) * ms, 2),
        "database_cpu_ms_per_booking": round((cpu_after[1] - cpu_before[1]) / len(booked) * ms, 2),
        # Each is a PostgreSQL backend started (and a pool connection made) during the bookings.
        "database_connections_opened": sessions_after - sessions_before,
        "healthz_p50_ms": round(statistics.median(floor) * ms, 1),
        "healthz_p99_ms": round(percentile(floor, 0.99) * ms, 1),
        "healthz_per_s": round(len(floor) / (t1 - t0), 1),
        "ratio": round(statistics.median(booked) / statistics.median(floor), 1),
        "ratio_meaning": "booking p50 / healthz p50 under the same concurrency",
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--bookings", type=int, default=5, help="bookings per client")
    parser.add_argument(
        "--pool-size",
        type=int,
        default=Settings.model_fields["database_pool_size"].default,
        help="the server's LABSHARE_DATABASE_POOL_SIZE (default: what ships)",
    )
    parser.add_argument("--smoke", action="store_true", help="20 clients x 2 bookings: seconds")
    args = parser.parse_args(argv)
    if args.smoke:
        args.clients, args.bookings = 20, 2
    cluster = PostgresCluster()
    cluster.start()
    try:
        name = cluster.create_database()
        url = cluster.url(name)
        upgrade(url)
        run_seed_demo(Settings(environment=Environment.DEVELOPMENT, database_url=url))
        instruments = add_instruments(cluster.url(name, driver="postgresql"), args.clients)
        with live_server(url, pool_size=args.pool_size) as base:
            result = asyncio.run(measure(base, instruments, args.bookings, cluster, name))
    finally:
        cluster.destroy()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
