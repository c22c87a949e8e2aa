"""Ingest throughput, broker to committed rows, against ``psql \\copy`` binary of the same rows.

Starts a private PostgreSQL + TimescaleDB cluster and a private Mosquitto (the test harness's
classes), migrates a database, registers one gateway with ``--channels`` channels, then:

1. publishes ``--rows`` samples as telemetry batches while the ingest worker is away, so the
   broker holds them in the worker's persistent session (publishing speed is not measured);
2. starts the worker and times until every row is committed (decode, validate, resolve,
   binary COPY, COMMIT, PUBACK);
3. exports exactly those rows with ``\\copy ... TO`` (binary), truncates, and times
   ``psql -c "\\copy telemetry FROM ... (FORMAT BINARY)"`` into the same hypertable.

Prints one JSON object; the goal is ``ratio >= 0.5``.

    .venv/bin/python benchmarks/ingest_vs_psql_copy.py --rows 300000
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from server.telemetry.worker import IngestWorker  # noqa: E402
from tests.harness import MosquittoBroker, PostgresCluster  # noqa: E402

GATEWAY = "bench-gw-01"


def seed(conninfo: str, channels: int) -> None:
    with psycopg.connect(conninfo) as conn:
        org = conn.execute(
            "INSERT INTO organisation (kind, name) VALUES ('institution', 'bench') RETURNING id"
        ).fetchone()
        assert org is not None
        lab = conn.execute(
            "INSERT INTO lab (organisation_id, name) VALUES (%s, 'bench') RETURNING id", (org[0],)
        ).fetchone()
        assert lab is not None
        instrument = conn.execute(
            "INSERT INTO instrument (lab_id, organisation_id, name) VALUES (%s, %s, 'bench')"
            " RETURNING id",
            (lab[0], org[0]),
        ).fetchone()
        assert instrument is not None
        gateway = conn.execute(
            "INSERT INTO gateway (key, organisation_id, name, secret_hash)"
            " VALUES (%s, %s, 'bench', '-') RETURNING id",
            (GATEWAY, org[0]),
        ).fetchone()
        assert gateway is not None
        for c in range(channels):
            conn.execute(
                "INSERT INTO channel (instrument_id, gateway_id, device_key, point_key, name,"
                " canonical_unit) VALUES (%s, %s, 'dev', %s, %s, 'degC')",
                (instrument[0], gateway[0], f"p{c}", f"p{c}"),
            )


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
    settings: Settings, broker: MosquittoBroker, messages: list[bytes], rows: int
) -> float:
    worker = IngestWorker(settings, client_id="bench-ingest", share_group="bench")
    # First connection only creates the persistent session and its subscriptions.
    await worker.start()
    await worker.wait_subscribed()
    await worker.stop()
    publish_all(broker, messages)
    worker = IngestWorker(settings, client_id="bench-ingest", share_group="bench")
    started = time.perf_counter()
    await worker.start()
    try:
        while worker.stats.rows_written < rows:  # noqa: ASYNC110 - polls a plain counter
            await asyncio.sleep(0.01)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000, help="samples to ingest")
    parser.add_argument("--channels", type=int, default=20, help="channels of the gateway")
    parser.add_argument(
        "--samples-per-message", type=int, default=1000, help="samples in one MQTT message"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a few-seconds run (20,000 samples) for the tests"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows = min(args.rows, 20_000)

    cluster, broker = PostgresCluster(), MosquittoBroker()
    cluster.start()
    broker.start()
    try:
        database = cluster.create_database()
        upgrade(cluster.url(database))
        conninfo = cluster.url(database, driver="postgresql")
        seed(conninfo, args.channels)
        messages = payloads(args.rows, args.channels, args.samples_per_message)
        settings = Settings(
            database_url=cluster.url(database), mqtt_host=broker.host, mqtt_port=broker.port
        )
        ingest_s = asyncio.run(time_ingest(settings, broker, messages, args.rows))
        stored = int(cluster.psql("SELECT count(*) FROM telemetry", database))
        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / "telemetry.bin"
            # A hypertable's rows live in its chunks: COPY TO needs a query.
            export = "\\copy (SELECT * FROM telemetry ORDER BY ts) TO '{}' (FORMAT BINARY)"
            psql(cluster, database, export.format(dump))
            cluster.psql("TRUNCATE telemetry", database)
            copy_s = psql(cluster, database, f"\\copy telemetry FROM '{dump}' (FORMAT BINARY)")
        result = {
            "rows": stored,
            "messages": len(messages),
            "ingest_s": round(ingest_s, 3),
            "ingest_rows_per_s": round(stored / ingest_s),
            "psql_copy_s": round(copy_s, 3),
            "psql_copy_rows_per_s": round(stored / copy_s),
            "ratio": round(copy_s / ingest_s, 3),
        }
        print(json.dumps(result))
    finally:
        broker.destroy()
        cluster.destroy()


if __name__ == "__main__":
    main()
