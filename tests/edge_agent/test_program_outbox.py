"""Program runs are kept on disk until the broker has them and stored once by the server:
outbox -> Mosquitto -> ingest -> PostgreSQL, every part real."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from edge_agent.mqtt_link import MqttLink
from edge_agent.program_outbox import ProgramOutbox, outbox_path
from mqtt_contract.program_v1 import ProgramRun, ResultValue
from mqtt_contract.v1 import TopicKind, encode, topic_for
from tests.harness.telemetry import (  # noqa: F401
    Publisher,
    WorkerFactory,
    eventually,
    publisher,
    start_worker,
)

pytestmark = pytest.mark.integration


def _runs(conninfo: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "SELECT run_id, program, result_id, outcome, results, started_at IS NULL"
            " FROM program_run ORDER BY id"
        ).fetchall()


@pytest.mark.timeout(60)
async def test_a_run_kept_across_a_restart_is_sent_and_stored_once(
    demo: Any,
    mosquitto: Any,
    start_worker: WorkerFactory,  # noqa: F811
    publisher: Publisher,  # noqa: F811
    database_conninfo: str,
    tmp_path: Path,
) -> None:
    worker = await start_worker()
    gateway = demo.gateway.key
    run = ProgramRun(
        gateway=gateway,
        sent_at_ms=1_764_680_000_000,
        device="dryer",
        unit="oven",
        run_id="7f3c-run",
        program="dry-60",
        result_id="result/7f3c",
        outcome="aborted",
        ended_ms=1_764_680_000_000,
        results=[
            ResultValue(key="loss", name="MassLoss", value=1.25, unit="percent"),
            ResultValue(key="note", name="Note", text="door opened at step 2"),
        ],
    )
    spool = outbox_path(str(tmp_path / "spool.sqlite3"))
    outbox = ProgramOutbox(spool, gateway)
    outbox.add(run)  # the run ends while the gateway has no broker...
    outbox.close()  # ... and the gateway restarts

    outbox = ProgramOutbox(spool, gateway)
    assert outbox.depth == 1
    link = MqttLink(
        asyncio.get_running_loop(),
        host=mosquitto.host,
        port=mosquitto.port,
        client_id=f"outbox-{uuid.uuid4().hex[:8]}",
    )
    link.start()
    sending = asyncio.create_task(outbox.run(link))
    try:
        await eventually(lambda: len(_runs(database_conninfo)) == 1, 20, "the run stored")
        for _ in range(50):  # forgotten only once the broker has acknowledged it
            if outbox.depth == 0:
                break
            await asyncio.sleep(0.1)
        assert outbox.depth == 0
        assert outbox.sent == 1
    finally:
        sending.cancel()
        link.stop()
        outbox.close()

    # The same run again (a PUBACK lost on the way back): nothing changes.
    written = worker.stats.messages_written
    publisher.publish(topic_for(gateway, TopicKind.PROGRAM), encode(run))
    await eventually(lambda: worker.stats.messages_written > written, 20, "the copy read")
    [(run_id, program, result_id, outcome, results, no_start)] = _runs(database_conninfo)
    assert (run_id, program, result_id, outcome, no_start) == (
        "7f3c-run",
        "dry-60",
        "result/7f3c",
        "aborted",
        True,
    )
    assert results == [
        {"key": "loss", "name": "MassLoss", "value": 1.25, "unit": "percent"},
        {"key": "note", "name": "Note", "text": "door opened at step 2"},
    ]


@pytest.mark.timeout(60)
async def test_a_malformed_run_is_set_aside_with_its_reason(
    demo: Any,
    start_worker: WorkerFactory,  # noqa: F811
    publisher: Publisher,  # noqa: F811
    database_conninfo: str,
) -> None:
    worker = await start_worker()
    gateway = demo.gateway.key
    bad = {"v": 1, "gateway": gateway, "sent_at_ms": 1, "device": "dryer", "unit": "oven",
           "run_id": "r1", "outcome": "exploded", "ended_ms": 2}  # fmt: skip
    written = worker.stats.messages_written
    publisher.publish(topic_for(gateway, TopicKind.PROGRAM), json.dumps(bad).encode())
    await eventually(lambda: worker.stats.messages_written > written, 20, "the message read")
    with psycopg.connect(database_conninfo) as conn:
        letters = conn.execute("SELECT topic, reason FROM dead_letter").fetchall()
    assert _runs(database_conninfo) == []
    assert [t for t, _ in letters] == [topic_for(gateway, TopicKind.PROGRAM)]
    assert "outcome" in letters[0][1]
