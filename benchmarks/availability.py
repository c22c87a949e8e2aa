"""Availability of 1,000 instruments over 90 days: our bulk query against a naive reference.

Starts a private PostgreSQL (the test harness's class), migrates a database and generates
``--instruments`` instruments, each with weekday opening hours (08:30-17:30), a calibration
certificate, three bookings in the window and a blackout for a tenth of them. Then times, in
the same run and on the same data:

* ours: ``server.booking.availability.availability`` — one statement for the booking inputs
  (policies, the registry record's opening hours, blackouts, bookings), the registry's
  calibration query, and interval arithmetic in Python, including the reason for every
  unavailable period;
* reference: what LibreBooking effectively does — per instrument and per day, query that
  day's bookings and blackouts and walk the slot grid (``--reference-days`` days, default 7,
  because a per-day loop over 90 days takes minutes).

Prints one JSON object with both timings and ``ratio`` = reference / ours over the same
window; the goal is ours < 100 ms for 1,000 instruments over 90 days.

    .venv/bin/python benchmarks/availability.py            # 1,000 instruments
    .venv/bin/python benchmarks/availability.py --smoke    # seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from server.booking.availability import availability  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from tests.harness import PostgresCluster  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
SLOT = timedelta(minutes=30)


def generate(conninfo: str, instruments: int, now: datetime, seed: int = 7) -> list[uuid.UUID]:
    rng = random.Random(seed)
    with psycopg.connect(conninfo) as conn:
        inst = conn.execute(
            "INSERT INTO organisation (kind, name, city) VALUES ('institution', 'bench', '杭州') RETURNING id"
        ).fetchone()
        ent = conn.execute(
            "INSERT INTO organisation (kind, name) VALUES ('enterprise', 'bench-ent') RETURNING id"
        ).fetchone()
        assert inst is not None
        assert ent is not None
        user = conn.execute(
            "INSERT INTO app_user (organisation_id, email, full_name, password_hash, role) "
            "VALUES (%s, 'bench@x.demo', 'bench', 'x', 'enterprise_admin') RETURNING id",
            (ent[0],),
        ).fetchone()
        lab = conn.execute(
            "INSERT INTO lab (organisation_id, name) VALUES (%s, 'bench') RETURNING id", (inst[0],)
        ).fetchone()
        assert user is not None
        assert lab is not None
        ids = [uuid.uuid4() for _ in range(instruments)]
        with conn.cursor() as cur:
            # Opening hours live in the registry record (weekdays 08:30-17:30).
            weekdays = Jsonb(
                {day: [["08:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}
            )
            with cur.copy(
                "COPY instrument (id, lab_id, organisation_id, name, is_open, opening_hours) FROM STDIN"
            ) as copy:
                for n, i in enumerate(ids):
                    copy.write_row((i, lab[0], inst[0], f"instrument {n}", True, weekdays))
            with cur.copy(
                "COPY booking_policy (instrument_id, lead_time_minutes, horizon_days, buffer_minutes) FROM STDIN"
            ) as copy:
                for i in ids:
                    copy.write_row((i, 0, 120, 15))
            with cur.copy(
                "COPY calibration_certificate (instrument_id, organisation_id, number, agency, "
                "granted_on, valid_from, valid_to, result) FROM STDIN"
            ) as copy:
                for n, i in enumerate(ids):
                    copy.write_row(
                        (i, inst[0], f"C{n}", "bench", now.date(), now - timedelta(days=30),
                         now + timedelta(days=rng.randint(30, 400)), "pass")
                    )  # fmt: skip
            with cur.copy(
                "COPY booking (instrument_id, organisation_id, user_id, start_at, end_at, status) FROM STDIN"
            ) as copy:
                for i in ids:
                    days = rng.sample(range(1, 89), 3)
                    for day in days:
                        local = datetime.combine(
                            (now + timedelta(days=day)).astimezone(SHANGHAI).date(),
                            datetime.min.time(),
                            SHANGHAI,
                        ) + timedelta(hours=rng.randint(9, 14))
                        copy.write_row(
                            (i, ent[0], user[0], local, local + timedelta(hours=2), "confirmed")
                        )
            with cur.copy(
                "COPY blackout (instrument_id, start_at, end_at, reason) FROM STDIN"
            ) as copy:
                for i in ids[::10]:
                    start = now + timedelta(days=rng.randint(1, 80))
                    copy.write_row((i, start, start + timedelta(days=2), "bench"))
        conn.commit()
    return ids


async def naive_reference(
    session: AsyncSession, ids: list[uuid.UUID], start: datetime, days: int
) -> int:
    """Per instrument and per day: query that day's bookings and blackouts, walk the slot grid."""
    connection = await session.connection()
    free_slots = 0
    for instrument_id in ids:
        for d in range(days):
            day_start = datetime.combine(
                (start + timedelta(days=d)).astimezone(SHANGHAI).date(),
                datetime.min.time(),
                SHANGHAI,
            )
            day_end = day_start + timedelta(days=1)
            bookings = (
                await connection.execute(
                    text(
                        "SELECT start_at, end_at FROM booking WHERE instrument_id = :i AND status IN "
                        "('pending','confirmed','checked_in','completed') AND start_at < :e AND end_at > :s"
                    ),
                    {"i": instrument_id, "s": day_start, "e": day_end},
                )
            ).all()
            blackouts = (
                await connection.execute(
                    text(
                        "SELECT start_at, end_at FROM blackout WHERE instrument_id = :i AND start_at < :e AND end_at > :s"
                    ),
                    {"i": instrument_id, "s": day_start, "e": day_end},
                )
            ).all()
            if day_start.weekday() >= 5:
                continue
            slot = day_start + timedelta(hours=8, minutes=30)
            close = day_start + timedelta(hours=17, minutes=30)
            busy = [*bookings, *blackouts]
            while slot < close:
                if not any(b[0] < slot + SLOT and b[1] > slot for b in busy):
                    free_slots += 1
                slot += SLOT
    return free_slots


async def measure(
    url: str, ids: list[uuid.UUID], now: datetime, repeats: int, reference_days: int
) -> dict[str, object]:
    engine = create_async_engine(url, pool_size=2)
    try:
        async with AsyncSession(engine) as session:
            start = now
            await availability(session, ids, start, start + timedelta(days=90), now=now)  # warm up

            ours_90: list[float] = []
            ours_ref: list[float] = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                result = await availability(
                    session, ids, start, start + timedelta(days=90), now=now
                )
                ours_90.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                await availability(
                    session, ids, start, start + timedelta(days=reference_days), now=now
                )
                ours_ref.append(time.perf_counter() - t0)
            free_intervals = sum(len(a.free) for a in result)
            unavailable_periods = sum(len(a.unavailable) for a in result)
            t0 = time.perf_counter()
            naive_slots = await naive_reference(session, ids, start, reference_days)
            naive = time.perf_counter() - t0
    finally:
        await engine.dispose()
    ours_ref_median = statistics.median(ours_ref)
    return {
        "instruments": len(ids),
        "bookings": 3 * len(ids),
        "ours_90_days_ms": round(statistics.median(ours_90) * 1000, 1),
        "ours_90_days_best_ms": round(min(ours_90) * 1000, 1),
        "free_intervals_90_days": free_intervals,
        "unavailable_periods_90_days": unavailable_periods,
        f"ours_{reference_days}_days_ms": round(ours_ref_median * 1000, 1),
        f"reference_{reference_days}_days_ms": round(naive * 1000, 1),
        "reference_free_slots": naive_slots,
        "ratio": round(naive / ours_ref_median, 1),
        "ratio_meaning": f"reference / ours over the same {reference_days} days (higher is better)",
        "goal_ms_90_days_1000_instruments": 100,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instruments", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--reference-days", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="50 instruments, 2 repeats: seconds")
    args = parser.parse_args(argv)
    if args.smoke:
        args.instruments, args.repeats, args.reference_days = 50, 2, 3
    cluster = PostgresCluster()
    cluster.start()
    try:
        name = cluster.create_database()
        upgrade(cluster.url(name))
        now = datetime.now(UTC).replace(microsecond=0)
        ids = generate(cluster.url(name, driver="postgresql"), args.instruments, now)
        result = asyncio.run(
            measure(cluster.url(name), ids, now, args.repeats, args.reference_days)
        )
    finally:
        cluster.destroy()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
