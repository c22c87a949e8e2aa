"""The harness itself: real services start, survive fault injection, and leaks are caught."""

from __future__ import annotations

import asyncio
import threading
import time

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from tests.harness import MosquittoBroker, PostgresCluster
from tests.harness.leaks import LeakReport, _pending_at_close


def test_postgres_has_timescaledb_and_btree_gist(pg_cluster: PostgresCluster) -> None:
    db = pg_cluster.create_database()
    try:
        with psycopg.connect(pg_cluster.conninfo(db), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION timescaledb")
            conn.execute("CREATE EXTENSION btree_gist")
            conn.execute("CREATE TABLE m (ts timestamptz NOT NULL, v double precision)")
            conn.execute("SELECT create_hypertable('m', 'ts')")
            row = conn.execute(
                "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'm'"
            ).fetchone()
            assert row == (1,)
    finally:
        pg_cluster.drop_database(db)


def test_postgres_restart_keeps_committed_rows(pg_cluster: PostgresCluster) -> None:
    db = pg_cluster.create_database()
    try:
        with psycopg.connect(pg_cluster.conninfo(db), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (1), (2)")
        pg_cluster.stop()
        assert not pg_cluster.running
        pg_cluster.start()
        with psycopg.connect(pg_cluster.conninfo(db)) as conn:
            assert conn.execute("SELECT sum(n) FROM kept").fetchone() == (3,)
    finally:
        pg_cluster.drop_database(db)


def _session_client(broker: MosquittoBroker, client_id: str) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=False,
        protocol=mqtt.MQTTv311,
    )
    client.connect(broker.host, broker.port)
    return client


def test_mosquitto_restart_keeps_messages_queued_for_a_persistent_session(
    mosquitto: MosquittoBroker,
) -> None:
    received: list[bytes] = []
    subscriber = _session_client(mosquitto, "harness-sub")
    subscriber.on_message = lambda _c, _u, msg: received.append(msg.payload)
    subscriber.loop_start()
    subscriber.subscribe("harness/queued", qos=1)
    time.sleep(0.3)
    subscriber.disconnect()
    subscriber.loop_stop()

    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="harness-pub")
    publisher.connect(mosquitto.host, mosquitto.port)
    publisher.loop_start()
    publisher.publish("harness/queued", b"while-away", qos=1).wait_for_publish(5)
    publisher.disconnect()
    publisher.loop_stop()

    mosquitto.restart()

    subscriber = _session_client(mosquitto, "harness-sub")
    subscriber.on_message = lambda _c, _u, msg: received.append(msg.payload)
    subscriber.loop_start()
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    subscriber.disconnect()
    subscriber.loop_stop()
    assert received == [b"while-away"]


def test_leak_report_names_a_thread_left_running() -> None:
    report = LeakReport.start()
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="forgotten-worker")
    worker.start()
    try:
        problems = report.finish(grace=0.2)
    finally:
        stop.set()
        worker.join()
    assert problems == ["thread left running: forgotten-worker (daemon=False)"]


def test_leak_report_names_a_task_left_pending() -> None:
    report = LeakReport.start()

    async def main() -> None:
        asyncio.get_running_loop().create_task(asyncio.sleep(30), name="forgotten-task")

    asyncio.run(main())
    problems = report.finish(grace=0.1)
    assert problems == ["asyncio task left running: forgotten-task (sleep)"]
    assert _pending_at_close == []
