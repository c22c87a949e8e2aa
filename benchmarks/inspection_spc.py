"""What SPC adds to the ingest worker's CPU per inspection result, with and without, in one run.

Starts a private PostgreSQL + TimescaleDB cluster (the test harness's class), migrates a
database, registers a gateway and two identical individuals characteristics of one product:

* ``spc``: limits version 1 frozen from a baseline, all eight Nelson tests on, so every
  result is placed on the chart, given its z-value, run through the tests and its state kept;
* ``plain``: no limits and no tests, so results are stored and plotted but not judged.

It then feeds both through the ingest worker's inspection path (``InspectionSink.store``,
what the worker calls for each write batch: one transaction, dedup by gateway and sequence)
in alternating rounds of ``--batch`` results, and measures the worker process's CPU time
(``time.process_time``: the database's CPU is not the worker's) per result. Also times the
bare rule evaluation (``RuleState.add``) per point.

Goal: SPC adds under 10 % to the worker's CPU per result. Prints one JSON object; ``ratio``
is the CPU per result with SPC over without (1.0 = free).

    .venv/bin/python benchmarks/inspection_spc.py             # 40 rounds of 500 results each
    .venv/bin/python benchmarks/inspection_spc.py --smoke     # seconds
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
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mqtt_contract.inspection_v1 import InspectionBatch, InspectionResult  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from server.inspection.ingest import InspectionSink  # noqa: E402
from server.inspection.rules import RuleState  # noqa: E402
from tests.harness import PostgresCluster  # noqa: E402

T0_MS = 1_764_680_000_000


def seed(conninfo: str) -> tuple[uuid.UUID, str]:
    key = "bench-gw"
    with psycopg.connect(conninfo) as conn:
        org = conn.execute(
            "INSERT INTO organisation (kind, name) VALUES ('institution', 'bench') RETURNING id"
        ).fetchone()
        assert org is not None
        gateway = conn.execute(
            "INSERT INTO gateway (key, organisation_id, name, secret_hash)"
            " VALUES (%s, %s, 'bench', 'x') RETURNING id",
            (key, org[0]),
        ).fetchone()
        assert gateway is not None
        for name, rules in (("spc", "{1,2,3,4,5,6,7,8}"), ("plain", "{}")):
            conn.execute(
                "INSERT INTO inspection_characteristic (organisation_id, product, key, name,"
                " unit, lsl, usl, subgroup_size, chart, rules, responsible_user_ids)"
                " VALUES (%s, 'shaft', %s, %s, 'mm', 24.9, 25.1, 1, 'imr', %s, '{}')",
                (org[0], name, name, rules),
            )
    return gateway[0], key


def batch(key: str, characteristic: str, first_seq: int, values: list[float]) -> InspectionBatch:
    return InspectionBatch(
        gateway=key,
        sent_at_ms=T0_MS,
        station="bench",
        results=[
            InspectionResult(
                seq=first_seq + i, ts_ms=T0_MS + (first_seq + i) * 10, product="shaft",
                characteristic=characteristic, value=v, unit="mm", part=f"P{first_seq + i}",
            )
            for i, v in enumerate(values)
        ],
    )  # fmt: skip


async def freeze(database_url: str, conninfo: str) -> None:
    """Limits version 1 for ``spc`` from its first points (the API's Phase 1 code)."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlmodel.ext.asyncio.session import AsyncSession

    from server.inspection.limits import freeze_limits
    from server.inspection.service import load_characteristic

    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT id FROM inspection_characteristic WHERE key = 'spc'").fetchone()
        assert row is not None
        last = conn.execute(
            "SELECT max(position) FROM inspection_point WHERE characteristic_id = %s", row
        ).fetchone()
    assert last is not None
    engine = create_async_engine(database_url)
    async with AsyncSession(engine) as session, session.begin():
        characteristic = await load_characteristic(session, row[0])
        assert characteristic is not None
        await freeze_limits(session, characteristic, 0, last[0], [], note=None, user_id=None)
    await engine.dispose()


async def measure(database_url: str, conninfo: str, rounds: int, size: int) -> dict[str, object]:
    gateway_id, key = seed(conninfo)
    sink = InspectionSink(database_url)
    rng = random.Random(1)
    seq = 1

    def values() -> list[float]:
        return [25.0 + rng.gauss(0, 0.01) for _ in range(size)]

    try:
        # Baseline for both (not timed), then freeze limits for ``spc``.
        for name in ("spc", "plain"):
            await sink.store([(gateway_id, batch(key, name, seq, values()))])
            seq += size
        await freeze(database_url, conninfo)
        cpu: dict[str, list[float]] = {"spc": [], "plain": []}
        for i in range(rounds):
            order = ("spc", "plain") if i % 2 == 0 else ("plain", "spc")
            for name in order:
                message = batch(key, name, seq, values())
                seq += size
                started = time.process_time()
                outcome = await sink.store([(gateway_id, message)])
                cpu[name].append((time.process_time() - started) / size)
                assert outcome.stored == size
    finally:
        await sink.close()
    with psycopg.connect(conninfo) as conn:
        judged = conn.execute(
            "SELECT count(*) FROM inspection_point p JOIN inspection_characteristic c"
            " ON c.id = p.characteristic_id WHERE c.key = 'spc' AND p.limits_version = 1"
        ).fetchone()
    state = RuleState()
    zs = [rng.gauss(0, 1) for _ in range(100_000)]
    started = time.process_time()
    for z in zs:
        state.add(z)
    rules_us = (time.process_time() - started) / len(zs) * 1e6
    with_spc = statistics.median(cpu["spc"]) * 1e6
    without = statistics.median(cpu["plain"]) * 1e6
    return {
        "results_per_round": size,
        "rounds": rounds,
        "points_judged": judged[0] if judged else 0,
        "cpu_us_per_result_with_spc": round(with_spc, 1),
        "cpu_us_per_result_without_spc": round(without, 1),
        "ratio": round(with_spc / without, 3),
        "spc_share_of_cpu": round((with_spc - without) / with_spc, 3),
        "rule_evaluation_us_per_point": round(rules_us, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="timed rounds per characteristic")
    parser.add_argument("--batch", type=int, default=500, help="results per message")
    parser.add_argument("--smoke", action="store_true", help="a few-seconds run for the tests")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.batch = 4, 50
    cluster = PostgresCluster()
    cluster.start()
    try:
        database = cluster.create_database()
        upgrade(cluster.url(database))
        conninfo = cluster.url(database, driver="postgresql")
        result = asyncio.run(measure(cluster.url(database), conninfo, args.rounds, args.batch))
        print(json.dumps(result))
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
