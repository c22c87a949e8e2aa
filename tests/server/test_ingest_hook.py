"""With ingest enabled, the API process runs the ingest worker: published telemetry shows up."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.app import create_app
from server.core.config import Settings
from tests.harness import MosquittoBroker
from tests.harness.factories import PASSWORD, standard_world

pytestmark = pytest.mark.integration


async def test_lifespan_runs_the_ingest_worker(
    settings: Settings, mosquitto: MosquittoBroker
) -> None:
    settings = settings.model_copy(
        update={
            "ingest_enabled": True,
            "mqtt_port": mosquitto.port,
            "ingest_client_id": f"ingest-hook-test-{time.monotonic_ns()}",
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session, session.begin():
            demo = await standard_world(session)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            token = await client.post(
                "/api/v1/auth/token",
                data={"username": "manager@zjim.demo", "password": PASSWORD},
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            ts_ms = 1_795_000_000_000
            batch = TelemetryBatch(
                gateway="demo-gw-01",
                sent_at_ms=ts_ms,
                series=[
                    Series(
                        device="chamber-1",
                        point="temperature",
                        unit="degC",
                        samples=[Sample(seq=1, ts_ms=ts_ms, value=23.5)],
                    )
                ],
            )
            latest: dict[str, dict[str, object]] = {}
            deadline = time.monotonic() + 20
            # The worker subscribes asynchronously: publish until a reading arrives.
            while time.monotonic() < deadline:
                publish = await asyncio.create_subprocess_exec(
                    "mosquitto_pub",
                    "-h",
                    mosquitto.host,
                    "-p",
                    str(mosquitto.port),
                    "-q",
                    "1",
                    "-t",
                    topic_for("demo-gw-01", TopicKind.TELEMETRY),
                    "-m",
                    encode(batch).decode(),
                )
                assert await asyncio.wait_for(publish.wait(), 10) == 0
                response = await client.get(
                    f"/api/v1/instruments/{demo.instrument.id}/latest", headers=headers
                )
                latest = {r["point_key"]: r for r in response.json()}
                if latest["temperature"]["value"] is not None:
                    break
                await asyncio.sleep(0.3)
    assert latest["temperature"]["value"] == 23.5, json.dumps(latest)
    assert latest["temperature"]["quality"] == "ok"
    assert latest["temperature"]["ts"] == "2026-11-18T11:06:40Z"
