"""`labshare-demo` on its fallback broker (amqtt) end to end: live values are stored.

The harness PostgreSQL stands in for the embedded one (LABSHARE_DATABASE_URL) to keep the
run short; the embedded path is covered by test_demo_run.py.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import psycopg
import pytest

from tests.harness.demo import DemoRun

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]


def test_demo_on_amqtt_stores_live_chamber_values(demo_root: Path, database_url: str) -> None:
    run = DemoRun(
        demo_root / "demo-data",
        demo_root / "demo-output.txt",
        LABSHARE_DATABASE_URL=database_url,
        LABSHARE_DEMO_BROKER="amqtt",
        LABSHARE_DEMO_BRIDGE="off",
    )
    try:
        run.wait_for_url()
        output = run.text()
        assert "falling back to the pure-Python amqtt broker" in output
        assert re.search(
            r"\[9/9\] live values from the chamber … ok .*\n +temperature \d+\.\d °C", output
        ), output
        assert "WARNING: no reading arrived" not in output
        server_log = (run.data_dir / "logs" / "server.log").read_text()
        # Told once, in the server's log, that this broker allows a single ingest worker.
        assert server_log.count("without a shared subscription") == 1
        assert "connected to MQTT 3.1.1" in server_log

        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=60) == 0
        output = run.text()
        assert "stopped amqtt (exit 0)" in output
        assert "labshare demo stopped." in output
    finally:
        run.close()
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT count(*) FROM telemetry t JOIN channel c ON c.id = t.channel_id"
            " WHERE c.device_key = 'chamber-1' AND c.point_key = 'temperature'"
        ).fetchone()
    assert row is not None
    assert row[0] > 0
