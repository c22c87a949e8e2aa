"""Ingest throughput, broker to committed rows, against ``psql \\copy`` binary of the same rows.

Starts a private PostgreSQL + TimescaleDB cluster and a private Mosquitto (the test harness's
classes), migrates a template database and registers one gateway with ``--channels`` channels
in it; every measured database is a fresh copy of that template. Two stages (``--stage``):

``end-to-end``
    1. publishes ``--rows`` samples as telemetry batches while the ingest worker is away, so
       the broker holds them in the worker's persistent session (publishing is not measured);
    2. starts the worker and times until every row is committed (decode, validate, resolve,
       binary COPY, COMMIT, PUBACK);
    3. exports exactly those rows with ``\\copy ... TO`` (binary), truncates, and times
       ``psql -c "\\copy telemetry FROM ... (FORMAT BINARY)"`` into the same hypertable.
    Goal: ``ratio >= 0.5``.

``writer``
    The database-writer stage alone: the same messages are decoded and planned as the worker
    does (``decode_inbound``, ``plan_telemetry``; not timed), grouped into write batches of
    the worker's default size, and handed to ``server.telemetry.store.write_batch`` -- the
    function the worker calls, which encodes the COPY data from the planned columns -- on one
    connection (opening it is timed) into a fresh hypertable. The rows it stored are exported and ``psql \\copy`` binary loads them into
    another fresh, identical hypertable, the two sides alternating which goes first.
    Goal: ``writer_ratio >= 0.8``.

``--repeat N`` runs each measurement ``N`` times (each on a fresh database) and reports the
medians, the single runs beside them, and the 1-minute load average before and after
(``load_1min``). Prints one JSON object.

    .venv/bin/python benchmarks/ingest_vs_psql_copy.py --rows 500000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as paho
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for  # noqa: E402
from server.core.config import Settings  # noqa: E402
from server.core.migrations import upgrade  # noqa: E402
from server.telemetry.store import (  # noqa: E402
    TELEMETRY_COLUMNS,
    WriteBatch,
    load_gateways,
    to_conninfo,
    write_batch,
)
from server.telemetry.units import UnitConverter  # noqa: E402
from server.telemetry.validation import (  # noqa: E402
    ChannelDirectory,
    decode_inbound,
    plan_telemetry,
)
from server.telemetry.worker import IngestWorker  # noqa: E402
from tests.harness import MosquittoBroker, PostgresCluster  # noqa: E402
from tests.harness.telemetry import Seeder  # noqa: E402

GATEWAY = "bench-gw-01"
# No row committed for this long means messages went elsewhere: fail rather than wait forever.
STALL_S = 30.0


def seed(conninfo: str, channels: int) -> None:
    """One gateway whose device ``dev`` has ``channels`` points p0, p1, ... in degC."""
    Seeder(conninfo).gateway(GATEWAY, {("dev", f"p{c}"): "degC" for c in range(channels)})


def payloads(rows: int, channels: int, samples_per_message: int) -> list[bytes]:
    """Messages of ``samples_per_message`` samples, round-robin over channels, 1 Hz each."""
    per_series = max(1, samples_per_message // channels)
    start_ms = int(time.time() * 1000) - 30 * 24 * 3600 * 1000
    out: list[bytes] = []
    seq = 0
    tick = 0
    while seq < rows:
        series = []
        for c in range(channels):
            n = min(per_series, rows - seq)
            if n <= 0:
                break
            samples = [
                Sample(seq=seq + i, ts_ms=start_ms + (tick + i) * 1000, value=20.0 + (i % 50) * 0.1)
                for i in range(n)
            ]
            seq += n
            series.append(Series(device="dev", point=f"p{c}", unit="degC", samples=samples))
        tick += per_series
        out.append(encode(TelemetryBatch(gateway=GATEWAY, sent_at_ms=start_ms, series=series)))
    return out


def publish_all(broker: MosquittoBroker, messages: list[bytes]) -> float:
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="bench-gateway", protocol=paho.MQTTv5
    )
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    started = time.perf_counter()
    topic = topic_for(GATEWAY, TopicKind.TELEMETRY)
    infos = [client.publish(topic, m, qos=1) for m in messages]
    for info in infos:
        info.wait_for_publish(60)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return elapsed


async def time_ingest(
    settings: Settings, broker: MosquittoBroker, messages: list[bytes], rows: int, client_id: str
) -> float:
    worker = IngestWorker(settings, client_id=client_id, share_group="bench")
    # First connection only creates the persistent session and its subscriptions.
    await worker.start()
    await worker.wait_subscribed()
    await worker.stop()
    publish_all(broker, messages)
    worker = IngestWorker(settings, client_id=client_id, share_group="bench")
    started = time.perf_counter()
    await worker.start()
    try:
        progress, progress_at = 0, started
        while worker.stats.rows_written < rows:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            if worker.stats.rows_written > progress:
                progress, progress_at = worker.stats.rows_written, now
            elif now - progress_at > STALL_S:
                raise RuntimeError(f"ingest stalled at {progress} of {rows} rows for {STALL_S} s")
        return time.perf_counter() - started
    finally:
        await worker.stop()


def psql(cluster: PostgresCluster, database: str, command: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(cluster.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.host,
         "-p", str(cluster.port), "-U", "postgres", "-d", database, "-c", command],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def _worker_default(name: str) -> int:
    default = inspect.signature(IngestWorker).parameters[name].default
    assert isinstance(default, int)
    return default


async def plan_write_batches(conninfo: str, messages: list[bytes]) -> list[WriteBatch]:
    """The write batches the worker would build from ``messages`` (its default batch bounds)."""
    directory, converter = ChannelDirectory(), UnitConverter()
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        await load_gateways(conn, [GATEWAY], directory)
    max_messages = _worker_default("max_batch_messages")
    max_samples = _worker_default("max_batch_samples")
    topic = topic_for(GATEWAY, TopicKind.TELEMETRY)
    now_ms = int(time.time() * 1000)
    batches: list[WriteBatch] = []
    batch, in_batch, samples = WriteBatch(), 0, 0
    for payload in messages:
        inbound = decode_inbound(topic, payload)
        plan = plan_telemetry(inbound, directory, converter, now_ms)
        if plan.dead_letters or plan.gateway is None:
            raise RuntimeError(f"benchmark message refused: {plan.dead_letters}")
        batch.series.extend(plan.series)
        batch.late_ranges.extend(plan.late)
        batch.seqs_by_gateway.setdefault(plan.gateway.id, []).extend(plan.seqs)
        in_batch += 1
        samples += sum(map(len, plan.series))
        if in_batch >= max_messages or samples >= max_samples:
            batches.append(batch)
            batch, in_batch, samples = WriteBatch(), 0, 0
    if batch:
        batches.append(batch)
    return batches


async def time_writer(conninfo: str, batches: list[WriteBatch]) -> float:
    """``write_batch`` over every batch on one connection, connecting included."""
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        for batch in batches:
            await write_batch(conn, batch)
    return time.perf_counter() - started


def run_writer_stage(
    cluster: PostgresCluster, template: str, messages: list[bytes], repeat: int
) -> dict[str, object]:
    columns = ", ".join(TELEMETRY_COLUMNS)
    planning = cluster.create_database(template=template)
    batches = asyncio.run(plan_write_batches(cluster.url(planning, driver="postgresql"), messages))
    cluster.drop_database(planning)
    expected = sum(b.row_count for b in batches)
    writer_runs: list[float] = []
    copy_runs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "telemetry.bin"
        for run in range(repeat):
            # Alternate the order so neither side always gets the warmer cache.
            order = ("writer", "psql") if run % 2 == 0 else ("psql", "writer")
            for side in order:
                database = cluster.create_database(template=template)
                if side == "writer":
                    url = cluster.url(database)
                    writer_runs.append(asyncio.run(time_writer(to_conninfo(url), batches)))
                    stored = int(cluster.psql("SELECT count(*) FROM telemetry", database))
                    if stored != expected:
                        raise RuntimeError(f"writer stored {stored} rows, expected {expected}")
                    if not dump.exists():
                        # In the order the writer sent them (seq follows message order).
                        export = (
                            "\\copy (SELECT {} FROM telemetry ORDER BY seq) TO '{}' (FORMAT BINARY)"
                        )
                        psql(cluster, database, export.format(columns, dump))
                else:
                    copy_runs.append(
                        psql(
                            cluster,
                            database,
                            f"\\copy telemetry ({columns}) FROM '{dump}' (FORMAT BINARY)",
                        )
                    )
                    stored = int(cluster.psql("SELECT count(*) FROM telemetry", database))
                    if stored != expected:
                        raise RuntimeError(f"psql stored {stored} rows, expected {expected}")
                cluster.drop_database(database)
    writer_s = statistics.median(writer_runs)
    copy_s = statistics.median(copy_runs)
    return {
        "writer_batches": len(batches),
        "writer_s": round(writer_s, 3),
        "writer_rows_per_s": round(expected / writer_s),
        "writer_psql_copy_s": round(copy_s, 3),
        "writer_psql_copy_rows_per_s": round(expected / copy_s),
        "writer_ratio": round(copy_s / writer_s, 3),
        "writer_runs_s": [round(x, 3) for x in writer_runs],
        "writer_psql_copy_runs_s": [round(x, 3) for x in copy_runs],
    }


def run_end_to_end(
    cluster: PostgresCluster,
    broker: MosquittoBroker,
    template: str,
    messages: list[bytes],
    rows: int,
    repeat: int,
) -> dict[str, object]:
    ingest_runs: list[float] = []
    copy_runs: list[float] = []
    stored = 0
    for _ in range(repeat):
        # A fresh database per run; the worker's session (all acknowledged) is reused.
        database = cluster.create_database(template=template)
        settings = Settings(
            database_url=cluster.url(database), mqtt_host=broker.host, mqtt_port=broker.port
        )
        ingest_runs.append(
            asyncio.run(time_ingest(settings, broker, messages, rows, "bench-ingest"))
        )
        stored = int(cluster.psql("SELECT count(*) FROM telemetry", database))
        if stored != rows:
            raise RuntimeError(f"the worker stored {stored} rows, expected {rows}")
        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / "telemetry.bin"
            # A hypertable's rows live in its chunks: COPY TO needs a query.
            export = "\\copy (SELECT * FROM telemetry ORDER BY ts) TO '{}' (FORMAT BINARY)"
            psql(cluster, database, export.format(dump))
            cluster.psql("TRUNCATE telemetry", database)
            copy_runs.append(
                psql(cluster, database, f"\\copy telemetry FROM '{dump}' (FORMAT BINARY)")
            )
        cluster.drop_database(database)
    ingest_s = statistics.median(ingest_runs)
    copy_s = statistics.median(copy_runs)
    return {
        "rows": stored,
        "ingest_s": round(ingest_s, 3),
        "ingest_rows_per_s": round(stored / ingest_s),
        "psql_copy_s": round(copy_s, 3),
        "psql_copy_rows_per_s": round(stored / copy_s),
        "ratio": round(copy_s / ingest_s, 3),
        "ingest_runs_s": [round(x, 3) for x in ingest_runs],
        "psql_copy_runs_s": [round(x, 3) for x in copy_runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000, help="samples to ingest")
    parser.add_argument("--channels", type=int, default=20, help="channels of the gateway")
    parser.add_argument(
        "--samples-per-message", type=int, default=1000, help="samples in one MQTT message"
    )
    parser.add_argument(
        "--stage",
        choices=("both", "end-to-end", "writer"),
        default="both",
        help="what to time against psql: the whole worker, the writer stage alone, or both",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each measurement (medians reported)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a few-seconds run (20,000 samples) for the tests"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows = min(args.rows, 20_000)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    cluster, broker = PostgresCluster(), MosquittoBroker()
    cluster.start()
    if args.stage != "writer":
        broker.start()
    try:
        template = cluster.create_database()
        upgrade(cluster.url(template))
        seed(cluster.url(template, driver="postgresql"), args.channels)
        messages = payloads(args.rows, args.channels, args.samples_per_message)
        result: dict[str, object] = {"rows": args.rows, "messages": len(messages)}
        # The machine is shared: the 1-minute load average beside the figures it shaped.
        load_before = os.getloadavg()[0]
        if args.stage != "writer":
            result.update(
                run_end_to_end(cluster, broker, template, messages, args.rows, args.repeat)
            )
        if args.stage != "end-to-end":
            result.update(run_writer_stage(cluster, template, messages, args.repeat))
        result["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        print(json.dumps(result))
    finally:
        broker.destroy()
        cluster.destroy()


if __name__ == "__main__":
    main()
