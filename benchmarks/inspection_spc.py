"""What SPC adds to the ingest worker's CPU per inspection result, with and without, in one run.

Starts a private PostgreSQL + TimescaleDB cluster and a private Mosquitto (the test harness's
classes), migrates a database, registers a gateway and two identical individuals
characteristics of one product:

* ``spc``: limits version 1 frozen from a baseline, all eight Nelson tests on, so every
  result is placed on the chart, given its z-value, run through the tests, raises or counts
  alarms, and its rule state is kept;
* ``plain``: no limits and no tests (how a characteristic is kept without SPC), so results
  are stored and plotted but not judged.

The real ingest worker runs as its own process (``labshare-server ingest``) and the station
publishes inspection messages (QoS 1, ``--per-message`` results each, 1,000 as the telemetry
ingest benchmark's messages) to the gateway's inspection topic. Each timed run sends
``--results`` results to one characteristic; runs alternate ``spc`` / ``plain`` (the order
flipping every repeat), ``--repeat`` runs each. The worker process's CPU time (user + system
of all its threads, psutil; PostgreSQL's and the broker's CPU are not the worker's) is read
before and after, until the chart holds every point; ``ratio`` is the median CPU per result
with SPC over the median without (1.0 = free).

* by default, as the telemetry ingest benchmark does, the broker holds the run's messages
  (the worker is paused, ``SIGSTOP``, while they are published) and the worker takes them at
  its full rate from ``SIGCONT`` on;
* ``--rate R`` publishes at ``R`` results/s instead while the worker runs (a live station).

``--in-process`` measures the earlier way, without MQTT: payload bytes through
``decode_inspection`` and ``InspectionSink.store`` in this process (``--rounds`` of
``--batch`` results). Also times the bare rule evaluation (``RuleState.add``) per point.

Then a Phase 2 chart of ``--subgroups`` points (10,000): the API's chart data
(``chart_points_json``) read the first time (``chart_ms``: the block cache emptied before each
read) and read again (``chart_again_ms``: every complete block kept), beside a JSON-text
reference (PostgreSQL writing every number as JSON text) and a naive reference that fetches
the rows and builds the same JSON in Python; medians of seven, and the ratios.

Goals: SPC adds under 10 % to the worker's CPU per result; the 10,000-point chart's data in
under 100 ms. Prints one JSON object.

    .venv/bin/python benchmarks/inspection_spc.py             # 5 x 40,000 results each way
    .venv/bin/python benchmarks/inspection_spc.py --rate 2000 --per-message 100 --results 20000
    .venv/bin/python benchmarks/inspection_spc.py --in-process   # payload bytes, no MQTT
    .venv/bin/python benchmarks/inspection_spc.py --smoke     # seconds
    .venv/bin/python benchmarks/inspection_spc.py --chart-only   # the chart's timing alone
    .venv/bin/python benchmarks/inspection_spc.py --chart-only --http   # and over HTTP
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import paho.mqtt.client as paho  # noqa: E402
import psutil  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from mqtt_contract.inspection_v1 import (  # noqa: E402
    InspectionBatch,
    InspectionResult,
    decode_inspection,
)
from mqtt_contract.v1 import TopicKind, topic_for  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from server.inspection.chartdata import chart_points_json, forget_cached_blocks  # noqa: E402
from server.inspection.ingest import InspectionSink  # noqa: E402
from server.inspection.limits import freeze_limits  # noqa: E402
from server.inspection.rules import RuleState  # noqa: E402
from server.inspection.service import load_characteristic  # noqa: E402
from tests.harness import MosquittoBroker, PostgresCluster  # noqa: E402
from tests.harness.browser import VENV_BIN, seed_demo, server_env  # noqa: E402
from tests.harness.ports import free_port  # noqa: E402

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


# ---------------------------------------------------------------------------------------------
# Through MQTT: the real broker and the real ``labshare-server ingest`` process.

WORKER_CLIENT_ID = "bench-inspection-ingest"


class IngestProcess:
    """``labshare-server ingest`` as its own process; its CPU read with psutil (all threads)."""

    def __init__(self, database_url: str, broker: MosquittoBroker, log: Path) -> None:

        executable = Path(sys.executable).parent / "labshare-server"
        env = {
            **os.environ,
            "LABSHARE_DATABASE_URL": database_url,
            "LABSHARE_MQTT_HOST": broker.host,
            "LABSHARE_MQTT_PORT": str(broker.port),
            "LABSHARE_ENVIRONMENT": "development",
            "LABSHARE_INGEST_CLIENT_ID": WORKER_CLIENT_ID,
        }
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            [str(executable), "ingest"], env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )
        self.process = psutil.Process(self.popen.pid)

    def cpu_s(self) -> float:
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def check(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"the ingest worker exited:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            if self.process.status() == "stopped":
                self.process.resume()
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:  # a worker that will not stop is killed
                self.popen.kill()
                self.popen.wait(5)
        self._log_file.close()


class Station:
    """The inspection station: QoS 1 publishes of prepared payloads to the gateway's topic."""

    def __init__(self, broker: MosquittoBroker, key: str) -> None:

        self.topic = topic_for(key, TopicKind.INSPECTION)
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bench-station-{key}", protocol=paho.MQTTv5
        )
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def publish(self, payloads: list[bytes], rate: float = 0.0, size: int = 1) -> None:
        """Every payload acknowledged by the broker; ``rate`` results/s paces them (0: at once)."""
        started = time.perf_counter()
        infos = []
        for i, data in enumerate(payloads):
            if rate > 0:
                delay = started + i * size / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            infos.append(self.client.publish(self.topic, data, qos=1))
        for info in infos:
            info.wait_for_publish(60)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Feed:
    """Payloads of ``size`` results for one characteristic; seq counts on across both."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.seq = 1
        self.rng = random.Random(1)

    def payloads(self, characteristic: str, results: int, size: int) -> list[bytes]:
        out = []
        for start in range(0, results, size):
            n = min(size, results - start)
            values = [25.0 + self.rng.gauss(0, 0.01) for _ in range(n)]
            out.append(batch(self.key, characteristic, self.seq, values).model_dump_json().encode())
            self.seq += n
        return out


def chart_position(conn: psycopg.Connection[tuple[object, ...]], characteristic: uuid.UUID) -> int:
    row = conn.execute(
        "SELECT next_position FROM inspection_chart_state WHERE characteristic_id = %s",
        (characteristic,),
    ).fetchone()
    return 0 if row is None else int(str(row[0]))


def wait_for_position(
    conn: psycopg.Connection[tuple[object, ...]],
    worker: IngestProcess,
    characteristic: uuid.UUID,
    target: int,
    again: Callable[[], None] | None = None,
) -> None:
    """Until ``characteristic``'s chart has ``target`` points (``again`` re-sent every 0.5 s)."""
    progress, progress_at, sent_at = -1, time.monotonic(), time.monotonic()
    while True:
        position = chart_position(conn, characteristic)
        if position >= target:
            return
        now = time.monotonic()
        if position > progress:
            progress, progress_at = position, now
        elif now - progress_at > STALL_S:
            raise RuntimeError(
                f"ingest stalled at {position} of {target} points for {STALL_S} s:\n"
                f"{worker.log_tail()}"
            )
        worker.check()
        if again is not None and now - sent_at > 0.5:
            again()  # stored once whatever the repeats: (gateway, seq) is unique
            sent_at = now
        time.sleep(0.01)


STALL_S = 60.0


def compare_over_mqtt(
    database_url: str,
    conninfo: str,
    broker: MosquittoBroker,
    results: int,
    size: int,
    repeat: int,
    rate: float,
) -> dict[str, object]:
    """The ingest worker's CPU per result, SPC on and off, alternating, through MQTT."""
    gateway_id, key = seed(conninfo, "bench-gw-mqtt")
    feed = Feed(key)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        ids = {
            str(name): uuid.UUID(str(cid))
            for name, cid in conn.execute(
                "SELECT c.key, c.id FROM inspection_characteristic c JOIN gateway g"
                " ON g.organisation_id = c.organisation_id WHERE g.id = %s",
                (gateway_id,),
            )
        }
    logdir = Path(tempfile.mkdtemp(prefix="labshare-bench-"))
    worker = IngestProcess(database_url, broker, logdir / "ingest.log")
    station = Station(broker, key)
    cpu: dict[str, list[float]] = {"spc": [], "plain": []}
    wall: dict[str, list[float]] = {"spc": [], "plain": []}
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            # Baseline of both (the first publish waits for the worker's subscription: re-sent
            # until stored), limits version 1 for ``spc``, then one untimed round of each.
            for name in ("spc", "plain"):
                baseline = feed.payloads(name, 200, 200)
                wait_for_position(
                    conn, worker, ids[name], 200, functools.partial(station.publish, baseline)
                )
            asyncio.run(freeze(database_url, conninfo, gateway_id))
            expected = {name: chart_position(conn, ids[name]) for name in ids}
            for name in ("spc", "plain"):
                station.publish(feed.payloads(name, min(results, 5 * size), size), rate, size)
                expected[name] += min(results, 5 * size)
                wait_for_position(conn, worker, ids[name], expected[name])
            idle_before = worker.cpu_s()
            time.sleep(1.0)
            idle_cpu_per_s = worker.cpu_s() - idle_before
            load_before = os.getloadavg()[0]
            for i in range(repeat):
                order = ("spc", "plain") if i % 2 == 0 else ("plain", "spc")
                for name in order:
                    payloads = feed.payloads(name, results, size)
                    expected[name] += results
                    if rate > 0:  # paced: the worker takes each message as it comes
                        before, started = worker.cpu_s(), time.perf_counter()
                        station.publish(payloads, rate, size)
                    else:  # backlog: held by the broker while the worker is paused
                        worker.process.suspend()
                        station.publish(payloads)
                        before, started = worker.cpu_s(), time.perf_counter()
                        worker.process.resume()
                    wait_for_position(conn, worker, ids[name], expected[name])
                    cpu[name].append((worker.cpu_s() - before) / results)
                    wall[name].append(time.perf_counter() - started)
            load_after = os.getloadavg()[0]
            judged = conn.execute(
                "SELECT count(*) FILTER (WHERE limits_version = 1 AND z IS NOT NULL),"
                " count(*) FILTER (WHERE cardinality(rules) > 0)"
                " FROM inspection_point WHERE characteristic_id = %s",
                (ids["spc"],),
            ).fetchone()
            unjudged = conn.execute(
                "SELECT count(*) FROM inspection_point WHERE characteristic_id = %s"
                " AND limits_version IS NULL",
                (ids["plain"],),
            ).fetchone()
            alarms = conn.execute(
                "SELECT count(*), coalesce(sum(occurrences), 0) FROM inspection_alarm"
                " WHERE characteristic_id = %s",
                (ids["spc"],),
            ).fetchone()
    finally:
        station.close()
        worker.stop()
    assert judged is not None
    assert unjudged is not None
    assert alarms is not None
    timed = (repeat * results, repeat * results)
    with_spc, without = statistics.median(cpu["spc"]), statistics.median(cpu["plain"])
    ratio = with_spc / without
    return {
        "mode": "mqtt, paced" if rate > 0 else "mqtt, backlog",
        "results_per_run": results,
        "results_per_message": size,
        "rate_results_per_s": rate or None,
        "repeats": repeat,
        "points_judged": judged[0],
        "points_with_a_test_fired": judged[1],
        "alarms": [alarms[0], alarms[1]],
        "points_not_judged": unjudged[0],
        "timed_points_each": timed[0],
        "cpu_us_per_result_with_spc": round(with_spc * 1e6, 1),
        "cpu_us_per_result_without_spc": round(without * 1e6, 1),
        "cpu_us_runs_with_spc": [round(v * 1e6, 1) for v in cpu["spc"]],
        "cpu_us_runs_without_spc": [round(v * 1e6, 1) for v in cpu["plain"]],
        "results_per_s_with_spc": round(results / statistics.median(wall["spc"])),
        "results_per_s_without_spc": round(results / statistics.median(wall["plain"])),
        "worker_idle_cpu_s_per_s": round(idle_cpu_per_s, 4),
        "ratio": round(ratio, 3),
        "spc_share_of_cpu": round(1 - 1 / ratio, 3),
        "load_1min": [round(load_before, 2), round(load_after, 2)],
    }


# The same chart with PostgreSQL writing every number as JSON text, no block cache, no binary
# columns: the reference that leaves the JSON to the database.
_JSON_TEXT_SQL = (
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


async def chart(database_url: str, conninfo: str, subgroups: int) -> dict[str, object]:
    """The API's chart data (read the first time, and again) beside two references."""

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
    json_text: list[float] = []
    naive: list[float] = []
    try:
        json_text_sql = text(_JSON_TEXT_SQL % (":id", ":start", ":limit"))
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
                row = (await conn.execute(json_text_sql, window)).one()
                str(row[0]).encode()
                json_text.append(time.perf_counter() - started)
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
    reference, theirs = statistics.median(json_text[1:]), statistics.median(naive[1:])
    return {
        "chart_subgroups": subgroups,
        "chart_bytes": len(body),
        "chart_ms": round(ours * 1000, 1),
        "chart_again_ms": round(again_ms * 1000, 2),
        "chart_json_text_query_ms": round(reference * 1000, 1),
        "chart_naive_ms": round(theirs * 1000, 1),
        "chart_ratio_json_text_over_ours": round(reference / ours, 2),
        "chart_ratio_naive_over_ours": round(theirs / ours, 2),
    }


def chart_over_http(database_url: str, conninfo: str, charts: int = 8) -> dict[str, float]:
    """``GET .../chart`` of 10,000 points through ``labshare-server serve`` with a token.

    The demo is seeded (``seed-demo``) and served; ``charts`` characteristics of 10,000 points
    each are read once (nothing of them kept yet) and again; medians, client to client.
    """

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


def rule_evaluation_us() -> float:
    """The eight Nelson tests alone (``RuleState.add``), CPU per point over 100,000 points."""
    state = RuleState()
    rng = random.Random(2)
    zs = [rng.gauss(0, 1) for _ in range(100_000)]
    started = time.process_time()
    for z in zs:
        state.add(z)
    return (time.process_time() - started) / len(zs) * 1e6


async def measure(
    database_url: str, conninfo: str, rounds: int, size: int, repeat: int
) -> dict[str, object]:
    """``--in-process``: payload bytes through ``decode_inspection`` and ``InspectionSink``."""
    ratios = [
        await compare(database_url, conninfo, rounds, size, f"bench-gw-{i}") for i in range(repeat)
    ]
    with psycopg.connect(conninfo) as conn:
        judged = conn.execute(
            "SELECT count(*) FROM inspection_point p JOIN inspection_characteristic c"
            " ON c.id = p.characteristic_id WHERE c.key = 'spc' AND p.limits_version = 1"
        ).fetchone()
    with_spc = statistics.median(v for c in COMPARISONS for v in c["spc"]) * 1e6
    without = statistics.median(v for c in COMPARISONS for v in c["plain"]) * 1e6
    ratio = statistics.median(ratios)
    return {
        "mode": "in-process",
        "results_per_round": size,
        "rounds": rounds,
        "repeats": repeat,
        "points_judged": judged[0] if judged else 0,
        "cpu_us_per_result_with_spc": round(with_spc, 1),
        "cpu_us_per_result_without_spc": round(without, 1),
        "ratios": [round(r, 3) for r in ratios],
        "ratio": round(ratio, 3),
        "spc_share_of_cpu": round(1 - 1 / ratio, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--results", type=int, default=40_000, help="results per timed run, each way (MQTT)"
    )
    parser.add_argument("--per-message", type=int, default=1000, help="results in one MQTT message")
    parser.add_argument(
        "--rate", type=float, default=0.0,
        help="publish at this many results/s while the worker runs (0: a held backlog)",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5, help="timed runs each way; medians")
    parser.add_argument("--in-process", action="store_true", help="payload bytes, no MQTT")
    parser.add_argument("--rounds", type=int, default=40, help="--in-process: rounds each way")
    parser.add_argument("--batch", type=int, default=500, help="--in-process: results per round")
    parser.add_argument("--subgroups", type=int, default=10_000, help="points on the timed chart")
    parser.add_argument("--smoke", action="store_true", help="a few-seconds run for the tests")
    parser.add_argument("--chart-only", action="store_true", help="only the chart's timing")
    parser.add_argument(
        "--http", action="store_true", help="with --chart-only: also GET .../chart over HTTP"
    )
    args = parser.parse_args()
    if args.smoke:
        args.results, args.per_message, args.repeat, args.subgroups = 1000, 250, 1, 200
        args.rounds, args.batch = 4, 50
    cluster = PostgresCluster()
    broker = MosquittoBroker()
    cluster.start()
    try:
        database = cluster.create_database()
        upgrade(cluster.url(database))
        url, conninfo = cluster.url(database), cluster.url(database, driver="postgresql")
        result: dict[str, object]
        if args.chart_only:
            seed(conninfo)
            result = asyncio.run(chart(url, conninfo, args.subgroups))
            if args.http:
                result |= chart_over_http(url, conninfo)
        else:
            if args.in_process:
                result = asyncio.run(measure(url, conninfo, args.rounds, args.batch, args.repeat))
            else:
                broker.start()
                result = compare_over_mqtt(
                    url, conninfo, broker, args.results, args.per_message, args.repeat,
                    args.rate,
                )  # fmt: skip
            result["rule_evaluation_us_per_point"] = round(rule_evaluation_us(), 2)
            result |= asyncio.run(chart(url, conninfo, args.subgroups))
        print(json.dumps(result))
    finally:
        broker.destroy()
        cluster.destroy()


if __name__ == "__main__":
    main()
