"""Booking latency under concurrent clients, through a real server process.

Starts a private PostgreSQL (the test harness's class), migrates and seeds the demo data,
adds ``--clients`` calibrated instruments, runs ``uvicorn`` on a free port and lets
``--clients`` concurrent clients each book ``--bookings`` consecutive two-hour slots on their
own instrument (every request does the full work: rules, calibration check, quote, insert
under the exclusion constraint, outbox row). As a floor measured in the same run, the same
clients hit ``GET /healthz`` (no database, no auth).

Prints one JSON object: p50/p99 of both and ``ratio`` = booking p50 / floor p50.

    .venv/bin/python benchmarks/booking_latency.py              # 200 clients
    .venv/bin/python benchmarks/booking_latency.py --smoke      # seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.core.config import Environment, Settings  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from server.seed import DEMO_PASSWORD, run_seed_demo  # noqa: E402
from tests.booking.live import live_server  # noqa: E402
from tests.harness import PostgresCluster  # noqa: E402

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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(base: str, instruments: list[uuid.UUID], bookings: int) -> dict[str, object]:
    limits = httpx.Limits(
        max_connections=len(instruments), max_keepalive_connections=len(instruments)
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        r = await client.post(
            "/api/v1/auth/token", data={"username": "staff@zjim.demo", "password": DEMO_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        today = datetime.now(SHANGHAI).date()
        first = datetime(today.year, today.month, today.day, 8, tzinfo=SHANGHAI) + timedelta(days=2)

        async def floor_client() -> list[float]:
            out = []
            for _ in range(bookings):
                t0 = time.perf_counter()
                (await client.get("/healthz")).raise_for_status()
                out.append(time.perf_counter() - t0)
            return out

        async def booking_client(instrument: uuid.UUID) -> list[float]:
            out = []
            for k in range(bookings):
                start = first + timedelta(hours=2 * k)
                payload = {
                    "instrument_id": str(instrument),
                    "start_at": start.isoformat(),
                    "end_at": (start + timedelta(hours=2)).isoformat(),
                }
                t0 = time.perf_counter()
                response = await client.post("/api/v1/bookings", json=payload, headers=headers)
                out.append(time.perf_counter() - t0)
                if response.status_code != 201:
                    raise RuntimeError(f"booking failed: {response.status_code} {response.text}")
            return out

        t0 = time.perf_counter()
        floor = [
            x for xs in await asyncio.gather(*(floor_client() for _ in instruments)) for x in xs
        ]
        t1 = time.perf_counter()
        booked = [
            x for xs in await asyncio.gather(*(booking_client(i) for i in instruments)) for x in xs
        ]
        t2 = time.perf_counter()
    ms = 1000.0
    return {
        "clients": len(instruments),
        "bookings": len(booked),
        "booking_p50_ms": round(statistics.median(booked) * ms, 1),
        "booking_p99_ms": round(percentile(booked, 0.99) * ms, 1),
        "bookings_per_s": round(len(booked) / (t2 - t1), 1),
        "healthz_p50_ms": round(statistics.median(floor) * ms, 1),
        "healthz_p99_ms": round(percentile(floor, 0.99) * ms, 1),
        "healthz_per_s": round(len(floor) / (t1 - t0), 1),
        "ratio": round(statistics.median(booked) / statistics.median(floor), 1),
        "ratio_meaning": "booking p50 / healthz p50 under the same concurrency",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--bookings", type=int, default=5, help="bookings per client")
    parser.add_argument("--pool-size", type=int, default=20)
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
            result = asyncio.run(measure(base, instruments, args.bookings))
    finally:
        cluster.destroy()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
