"""What SPC adds to the ingest worker's CPU per inspection result, with and without, in one run.

Starts a private PostgreSQL + TimescaleDB cluster (the test harness's class), migrates a
database, registers a gateway and two identical individuals characteristics of one product:

* ``spc``: limits version 1 frozen from a baseline, all eight Nelson tests on, so every
  result is placed on the chart, given its z-value, run through the tests and its state kept;
* ``plain``: no limits and no tests, so results are stored and plotted but not judged.

It then feeds both through the ingest worker's inspection path, from the MQTT payload's bytes:
``decode_inspection`` (JSON and validation) and ``InspectionSink.store`` (what the worker calls
for each write batch: one transaction, dedup by gateway and sequence), in alternating rounds of
``--batch`` results, and measures the worker process's CPU time (``time.process_time``: the
database's CPU is not the worker's) per result. The whole comparison runs ``--repeat`` times on
fresh characteristics; ``ratio`` is the median of the repeats' ratios. Also times the bare rule
evaluation (``RuleState.add``) per point.

Then the chart of ``--subgroups`` points (10,000): the API's query (``chart_points_json``, the
JSON columns built by PostgreSQL) beside a naive reference that fetches the rows and builds the
same JSON in Python; medians of seven, and their ratio.

Goals: SPC adds under 10 % to the worker's CPU per result; the 10,000-point chart's data in
under 100 ms. Prints one JSON object; ``ratio`` is the CPU per result with SPC over without
(1.0 = free).

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

from mqtt_contract.inspection_v1 import (  # noqa: E402
    InspectionBatch,
    InspectionResult,
    decode_inspection,
)
from server.core.migrations import upgrade  # noqa: E402
from server.inspection.ingest import InspectionSink  # noqa: E402
from server.inspection.rules import RuleState  # noqa: E402
from tests.harness import PostgresCluster  # noqa: E402

T0_MS = 1_764_680_000_000


def seed(conninfo: str, key: str = "bench-gw") -> tuple[uuid.UUID, str]:
    with psycopg.connect(conninfo) as conn:
        org = conn.execute(
            "INSERT INTO organisation (kind, name) VALUES ('institution', 'bench') RETURNING id"
        ).fetchone()
        assert org is not None
        gateway = conn.execute(
            "INSERT INTO gateway (key, organisation_id, name, secret_hash)"
            " VALUES (%s, %s, %s, 'x') RETURNING id",
            (key, org[0], key),
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


async def freeze(database_url: str, conninfo: str, organisation: uuid.UUID | None = None) -> None:
    """Limits version 1 for ``spc`` from its first points (the API's Phase 1 code)."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlmodel.ext.asyncio.session import AsyncSession

    from server.inspection.limits import freeze_limits
    from server.inspection.service import load_characteristic

    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT c.id FROM inspection_characteristic c JOIN gateway g"
            " ON g.organisation_id = c.organisation_id WHERE c.key = 'spc'"
            " AND (CAST(%s AS uuid) IS NULL OR g.id = %s)",
            (organisation, organisation),
        ).fetchone()
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


async def compare(database_url: str, conninfo: str, rounds: int, size: int, key: str) -> float:
    """One with/without comparison on fresh characteristics; the CPU ratio."""
    gateway_id, key = seed(conninfo, key)
    sink = InspectionSink(database_url)
    rng = random.Random(1)
    seq = 1

    def payload(name: str) -> bytes:
        nonlocal seq
        values = [25.0 + rng.gauss(0, 0.01) for _ in range(size)]
        message = batch(key, name, seq, values)
        seq += size
        return message.model_dump_json().encode()

    try:
        # Baseline for both (not timed), then freeze limits for ``spc``.
        for name in ("spc", "plain"):
            await sink.store([(gateway_id, decode_inspection(payload(name)))])
        await freeze(database_url, conninfo, gateway_id)
        cpu: dict[str, list[float]] = {"spc": [], "plain": []}
        for i in range(rounds):
            order = ("spc", "plain") if i % 2 == 0 else ("plain", "spc")
            for name in order:
                data = payload(name)
                started = time.process_time()
                outcome = await sink.store([(gateway_id, decode_inspection(data))])
                cpu[name].append((time.process_time() - started) / size)
                assert outcome.stored == size
    finally:
        await sink.close()
    COMPARISONS.append(cpu)
    return statistics.median(cpu["spc"]) / statistics.median(cpu["plain"])


COMPARISONS: list[dict[str, list[float]]] = []


async def chart(database_url: str, conninfo: str, subgroups: int) -> dict[str, float]:
    """The API's chart query beside fetching rows and building the JSON in Python."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.inspection.service import chart_points_json

    with psycopg.connect(conninfo) as conn:
        cid = conn.execute(
            "SELECT id FROM inspection_characteristic WHERE key = 'plain' LIMIT 1"
        ).fetchone()
        assert cid is not None
        conn.execute(
            "INSERT INTO inspection_point (characteristic_id, position, ts, n, location, spread,"
            " limits_version, z, rules, out_of_spec)"
            " SELECT %s, 1000000 + g, now() + g * interval '1 s', 1, 25 + random() / 100,"
            " random() / 100, NULL, NULL, '{}', false FROM generate_series(0, %s - 1) g",
            (cid[0], subgroups),
        )
    engine = create_async_engine(database_url)
    project: list[float] = []
    naive: list[float] = []
    try:
        async with engine.connect() as conn:
            for _ in range(8):
                started = time.perf_counter()
                body, _versions = await chart_points_json(conn, cid[0], 1_000_000, subgroups)
                project.append(time.perf_counter() - started)
                assert len(json.loads(body)["position"]) == subgroups
        with psycopg.connect(conninfo) as plain:
            for _ in range(8):
                started = time.perf_counter()
                rows = plain.execute(
                    "SELECT position, ts, subgroup, n, location, spread, limits_version, z,"
                    " rules, out_of_spec, spread_out FROM inspection_point"
                    " WHERE characteristic_id = %s AND position >= 1000000 ORDER BY position"
                    " LIMIT %s",
                    (cid[0], subgroups),
                ).fetchall()
                columns = list(zip(*rows, strict=True))
                doc = {
                    "position": columns[0],
                    "ts_ms": [int(t.timestamp() * 1000) for t in columns[1]],
                    **{name: columns[i] for i, name in enumerate(
                        ("subgroup", "n", "location", "spread", "limits_version", "z", "rules",
                         "out_of_spec", "spread_out"), start=2)},
                }  # fmt: skip
                json.dumps(doc).encode()
                naive.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    # The first of each is a warm-up.
    ours, theirs = statistics.median(project[1:]), statistics.median(naive[1:])
    return {
        "chart_subgroups": subgroups,
        "chart_ms": round(ours * 1000, 1),
        "chart_naive_ms": round(theirs * 1000, 1),
        "chart_ratio_naive_over_ours": round(theirs / ours, 2),
    }


async def measure(
    database_url: str, conninfo: str, rounds: int, size: int, repeat: int, subgroups: int
) -> dict[str, object]:
    ratios = [
        await compare(database_url, conninfo, rounds, size, f"bench-gw-{i}") for i in range(repeat)
    ]
    with psycopg.connect(conninfo) as conn:
        judged = conn.execute(
            "SELECT count(*) FROM inspection_point p JOIN inspection_characteristic c"
            " ON c.id = p.characteristic_id WHERE c.key = 'spc' AND p.limits_version = 1"
        ).fetchone()
    state = RuleState()
    rng = random.Random(2)
    zs = [rng.gauss(0, 1) for _ in range(100_000)]
    started = time.process_time()
    for z in zs:
        state.add(z)
    rules_us = (time.process_time() - started) / len(zs) * 1e6
    with_spc = statistics.median(v for c in COMPARISONS for v in c["spc"]) * 1e6
    without = statistics.median(v for c in COMPARISONS for v in c["plain"]) * 1e6
    ratio = statistics.median(ratios)
    return {
        "results_per_round": size,
        "rounds": rounds,
        "repeats": repeat,
        "points_judged": judged[0] if judged else 0,
        "cpu_us_per_result_with_spc": round(with_spc, 1),
        "cpu_us_per_result_without_spc": round(without, 1),
        "ratios": [round(r, 3) for r in ratios],
        "ratio": round(ratio, 3),
        "spc_share_of_cpu": round(1 - 1 / ratio, 3),
        "rule_evaluation_us_per_point": round(rules_us, 2),
        **await chart(database_url, conninfo, subgroups),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="timed rounds per characteristic")
    parser.add_argument("--batch", type=int, default=500, help="results per message")
    parser.add_argument("--repeat", type=int, default=3, help="comparisons; the median is reported")
    parser.add_argument("--subgroups", type=int, default=10_000, help="points on the timed chart")
    parser.add_argument("--smoke", action="store_true", help="a few-seconds run for the tests")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.batch, args.repeat, args.subgroups = 4, 50, 1, 200
    cluster = PostgresCluster()
    cluster.start()
    try:
        database = cluster.create_database()
        upgrade(cluster.url(database))
        conninfo = cluster.url(database, driver="postgresql")
        result = asyncio.run(
            measure(
                cluster.url(database), conninfo, args.rounds, args.batch, args.repeat,
                args.subgroups,
            )
        )  # fmt: skip
        print(json.dumps(result))
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
