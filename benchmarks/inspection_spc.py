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

Then a Phase 2 chart of ``--subgroups`` points (10,000): the API's chart data
(``chart_points_json``) read the first time (``chart_ms``: the block cache emptied before each
read) and read again (``chart_again_ms``: every complete block kept), beside the query the API
ran before (PostgreSQL writing every number as JSON text) and a naive reference that fetches
the rows and builds the same JSON in Python; medians of seven, and the ratios.

Goals: SPC adds under 10 % to the worker's CPU per result; the 10,000-point chart's data in
under 100 ms. Prints one JSON object; ``ratio`` is the CPU per result with SPC over without
(1.0 = free).

    .venv/bin/python benchmarks/inspection_spc.py             # 40 rounds of 500 results each
    .venv/bin/python benchmarks/inspection_spc.py --smoke     # seconds
    .venv/bin/python benchmarks/inspection_spc.py --chart-only   # the chart's timing alone
    .venv/bin/python benchmarks/inspection_spc.py --chart-only --http   # and over HTTP
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


# The query ``GET .../chart`` ran before the block cache and binary columns (PostgreSQL writing
# every number as JSON text): kept as the earlier reference.
_PREVIOUS_SQL = (
    "SELECT json_build_object("  # noqa: S608 - constant column expressions
    + ", ".join(
        f"'{name}', coalesce(to_json({expr}), '[]')"
        for name, expr in (
            ("position", "array_agg(position)"),
            ("ts_ms", "array_agg((extract(epoch FROM ts) * 1000)::bigint)"),
            ("subgroup", "array_agg(subgroup)"),
            ("n", "array_agg(n)"),
            ("location", "array_agg(location)"),
            ("spread", "array_agg(spread)"),
            ("limits_version", "array_agg(limits_version)"),
            ("z", "array_agg(z)"),
            ("rules", "json_agg(rules)"),
            ("out_of_spec", "array_agg(out_of_spec)"),
            ("spread_out", "array_agg(spread_out)"),
        )
    )
    + ")::text FROM (SELECT * FROM inspection_point WHERE characteristic_id = %s"
    " AND position >= %s ORDER BY position LIMIT %s) p"
)


async def chart(database_url: str, conninfo: str, subgroups: int) -> dict[str, float]:
    """The API's chart data (read the first time, and again) beside two references."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.inspection.chartdata import chart_points_json, forget_cached_blocks

    with psycopg.connect(conninfo) as conn:
        cid = conn.execute(
            "SELECT id FROM inspection_characteristic WHERE key = 'plain' LIMIT 1"
        ).fetchone()
        assert cid is not None
        # A Phase 2 chart: every point judged against version 1 (z), a test fired now and then.
        conn.execute(
            "INSERT INTO inspection_point (characteristic_id, position, ts, n, location, spread,"
            " limits_version, z, rules, out_of_spec)"
            " SELECT %s, 1000000 + g, now() + g * interval '1 s', 1, x, random() / 100, 1,"
            " (x - 25.005) / 0.003, CASE WHEN g %% 50 = 0 THEN '{1,5}'::smallint[]"
            " ELSE '{}' END, false"
            " FROM generate_series(0, %s - 1) g, LATERAL (SELECT 25 + random() / 100 + g * 0) v(x)",
            (cid[0], subgroups),
        )
        conn.execute("ANALYZE inspection_point")
    engine = create_async_engine(database_url)
    cold: list[float] = []
    warm: list[float] = []
    previous: list[float] = []
    naive: list[float] = []
    try:
        previous_sql = text(_PREVIOUS_SQL % (":id", ":start", ":limit"))
        window = {"id": cid[0], "start": 1_000_000, "limit": subgroups}
        async with engine.connect() as conn:
            for _ in range(8):  # interleaved, so that all three see the same machine load
                forget_cached_blocks()
                started = time.perf_counter()
                body, _versions = await chart_points_json(conn, cid[0], 1_000_000, subgroups)
                cold.append(time.perf_counter() - started)
                started = time.perf_counter()
                again, _versions = await chart_points_json(conn, cid[0], 1_000_000, subgroups)
                warm.append(time.perf_counter() - started)
                started = time.perf_counter()
                row = (await conn.execute(previous_sql, window)).one()
                str(row[0]).encode()
                previous.append(time.perf_counter() - started)
                assert len(json.loads(body)["position"]) == subgroups
                assert again == body
                assert json.loads(row[0]) == json.loads(body)
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
    ours, again_ms = statistics.median(cold[1:]), statistics.median(warm[1:])
    before, theirs = statistics.median(previous[1:]), statistics.median(naive[1:])
    return {
        "chart_subgroups": subgroups,
        "chart_bytes": len(body),
        "chart_ms": round(ours * 1000, 1),
        "chart_again_ms": round(again_ms * 1000, 2),
        "chart_previous_query_ms": round(before * 1000, 1),
        "chart_naive_ms": round(theirs * 1000, 1),
        "chart_ratio_previous_over_ours": round(before / ours, 2),
        "chart_ratio_naive_over_ours": round(theirs / ours, 2),
    }


def chart_over_http(database_url: str, conninfo: str, charts: int = 8) -> dict[str, float]:
    """``GET .../chart`` of 10,000 points through ``labshare-server serve`` with a token.

    The demo is seeded (``seed-demo``) and served; ``charts`` characteristics of 10,000 points
    each are read once (nothing of them kept yet) and again; medians, client to client.
    """
    import os
    import subprocess

    import httpx

    from tests.harness.browser import VENV_BIN, seed_demo, server_env
    from tests.harness.ports import free_port

    env = server_env(database_url)
    seed_demo(env)
    port = free_port()
    server = subprocess.Popen(
        [str(VENV_BIN / "labshare-server"), "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            data={"username": "manager@zjim.demo", "password": "labshare-demo"},
        ).json()["access_token"]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            ids = []
            for k in range(charts + 1):
                created = client.post(
                    "/api/v1/inspection/characteristics",
                    json={"product": "bench", "key": f"c{k}", "name": f"c{k}", "unit": "mm",
                          "nominal": 25, "lsl": 24.9, "usl": 25.1, "chart": "imr",
                          "subgroup_size": 1},
                )  # fmt: skip
                created.raise_for_status()
                ids.append(created.json()["id"])
            with psycopg.connect(conninfo) as conn:
                for cid in ids:
                    conn.execute(
                        "INSERT INTO inspection_point (characteristic_id, position, ts, n,"
                        " location, spread, limits_version, z, rules, out_of_spec)"
                        " SELECT %s, g, now() + g * interval '1 s', 1, x, random() / 100, NULL,"
                        " (x - 25.005) / 0.003, CASE WHEN g %% 50 = 0 THEN '{1,5}'::smallint[]"
                        " ELSE '{}' END, false FROM generate_series(0, 9999) g,"
                        " LATERAL (SELECT 25 + random() / 100 + g * 0) v(x)",
                        (cid,),
                    )
                conn.execute("ANALYZE inspection_point")
            client.get(f"/api/v1/inspection/characteristics/{ids[-1]}/chart")  # warm-up
            first: list[float] = []
            again: list[float] = []
            for cid in ids[:-1]:
                for times in (first, again):
                    started = time.perf_counter()
                    response = client.get(f"/api/v1/inspection/characteristics/{cid}/chart")
                    times.append(time.perf_counter() - started)
                    assert len(response.json()["points"]["position"]) == 10_000
    finally:
        server.terminate()
        server.wait(15)
    return {
        "http_chart_ms": round(statistics.median(first) * 1000, 1),
        "http_chart_again_ms": round(statistics.median(again) * 1000, 1),
        "http_chart_bytes": len(response.content),
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
    parser.add_argument("--chart-only", action="store_true", help="only the chart's timing")
    parser.add_argument(
        "--http", action="store_true", help="with --chart-only: also GET .../chart over HTTP"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.batch, args.repeat, args.subgroups = 4, 50, 1, 200
    cluster = PostgresCluster()
    cluster.start()
    try:
        database = cluster.create_database()
        upgrade(cluster.url(database))
        conninfo = cluster.url(database, driver="postgresql")
        if args.chart_only:
            seed(conninfo)
            result = asyncio.run(chart(cluster.url(database), conninfo, args.subgroups))
            if args.http:
                result |= chart_over_http(cluster.url(database), conninfo)
        else:
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
