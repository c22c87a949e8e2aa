"""Live streams end to end: gateway publish -> broker -> ingest COMMIT -> broker -> SSE."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from mqtt_contract.v1 import (
    GatewayState,
    Sample,
    Series,
    TelemetryBatch,
    TopicKind,
    encode,
    topic_for,
)
from server.telemetry.jobs import TelemetryJobs
from tests.harness import free_port
from tests.harness.app import Login
from tests.harness.factories import DEVICE_KEY, GATEWAY_KEY, World
from tests.harness.telemetry import Publisher, Telemetry, WorkerFactory


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app behind a real HTTP server (the in-memory transport buffers whole responses)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, object]]]:
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event, json.loads(line.removeprefix("data: "))


async def next_event(
    stream: AsyncIterator[tuple[str, dict[str, object]]], wanted: str, within_s: float = 20.0
) -> dict[str, object]:
    async def find() -> dict[str, object]:
        async for event, data in stream:
            if event == wanted:
                return data
        raise AssertionError("stream ended")

    return await asyncio.wait_for(find(), within_s)


def chamber_batch(seq: int, **points: float) -> bytes:
    now_ms = int(time.time() * 1000)
    return encode(
        TelemetryBatch(
            gateway=GATEWAY_KEY,
            sent_at_ms=now_ms,
            series=[
                Series(
                    device=DEVICE_KEY,
                    point=point,
                    unit="dimensionless" if point == "status" else "degC",
                    samples=[Sample(seq=seq + i, ts_ms=now_ms, value=value)],
                )
                for i, (point, value) in enumerate(points.items())
            ],
        )
    )


async def test_sse_delivers_a_reading_published_through_the_broker_and_state_changes(
    app: FastAPI,
    served: str,
    demo: World,
    login: Login,
    start_worker: WorkerFactory,
    publisher: Publisher,
) -> None:
    await start_worker()
    await app.state.live_hub.wait_connected()
    headers = await login("staff@zjim.demo")
    url = f"{served}/api/v1/instruments/{demo.instrument.id}/live"
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        await next_event(stream, "hello")
        topic = topic_for(GATEWAY_KEY, TopicKind.TELEMETRY)
        await asyncio.to_thread(
            publisher.publish, topic, chamber_batch(1, temperature=23.25, status=2.0)
        )
        readings = await next_event(stream, "readings")
        by_channel = {r["channel_id"]: r for r in readings["readings"]}  # type: ignore[attr-defined]
        assert by_channel[demo.channels["temperature"].id]["value"] == 23.25
        assert by_channel[demo.channels["temperature"].id]["quality"] == "ok"

        # The evaluator reads the committed status register and announces "running".
        jobs = TelemetryJobs(app.state.engine, timescaledb=True, hub=app.state.live_hub)
        await jobs.run_states()
        state = await next_event(stream, "state")
        assert state["state"] == "running"
        assert state["instrument_id"] == str(demo.instrument.id)

        death = GatewayState(gateway=GATEWAY_KEY, status="offline", ts_ms=int(time.time() * 1000))
        state_topic = topic_for(GATEWAY_KEY, TopicKind.STATE)
        try:
            await asyncio.to_thread(publisher.publish, state_topic, encode(death), 1, True)
            gateway = await next_event(stream, "gateway")
            assert gateway == {"gateway": GATEWAY_KEY, "status": "offline"}
        finally:
            # Clear the retained death so later tests start from a clean broker.
            await asyncio.to_thread(publisher.publish, state_topic, b"", 1, True)


async def test_another_institution_cannot_open_the_stream(
    served: str, demo: World, login: Login
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for email in ("manager@zju.demo", "buyer@jingce.demo"):
            response = await http.get(
                f"{served}/api/v1/instruments/{demo.instrument.id}/live",
                headers=await login(email),
            )
            assert response.status_code == 404, email


async def test_enterprise_stream_needs_a_booking_running_now(
    served: str, demo: World, login: Login, telemetry: Telemetry
) -> None:
    buyer = demo.users["buyer@jingce.demo"]
    now = datetime.now(UTC)
    url = f"{served}/api/v1/instruments/{demo.instrument.id}/live"
    headers = await login("buyer@jingce.demo")
    # A finished booking lets the enterprise read its history, but not watch live.
    telemetry.booking(
        demo.instrument.id, buyer.organisation_id, buyer.id,
        now - timedelta(hours=3), now - timedelta(hours=2),
    )  # fmt: skip
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(url, headers=headers)).status_code == 404
    telemetry.booking(
        demo.instrument.id, buyer.organisation_id, buyer.id,
        now - timedelta(minutes=5), now + timedelta(hours=1), status="checked_in",
    )  # fmt: skip
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200
        hello = await next_event(events(response), "hello", within_s=5)
        assert hello == {"gateways": {GATEWAY_KEY: None}}
