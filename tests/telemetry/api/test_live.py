"""Live streams end to end: gateway publish -> broker -> ingest COMMIT -> broker -> SSE."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
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
from tests.harness.app import Login, next_event, sse_events
from tests.harness.factories import (
    DEVICE_KEY,
    GATEWAY_KEY,
    World,
    add_channel,
    add_instrument,
    add_lab,
)
from tests.harness.telemetry import Publisher, Telemetry, WorkerFactory


def batch(seq: int, *readings: tuple[str, str, float]) -> bytes:
    """A gateway batch of one sample per (device, point, value), stamped now."""
    now_ms = int(time.time() * 1000)
    return encode(
        TelemetryBatch(
            gateway=GATEWAY_KEY,
            sent_at_ms=now_ms,
            series=[
                Series(
                    device=device,
                    point=point,
                    unit="dimensionless" if point == "status" else "degC",
                    samples=[Sample(seq=seq + i, ts_ms=now_ms, value=value)],
                )
                for i, (device, point, value) in enumerate(readings)
            ],
        )
    )


def chamber_batch(seq: int, **points: float) -> bytes:
    return batch(seq, *((DEVICE_KEY, point, value) for point, value in points.items()))


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
        stream = sse_events(response)
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
        hello = await next_event(sse_events(response), "hello", within_s=5)
        assert hello == {"gateways": {GATEWAY_KEY: None}}


async def test_the_lab_stream_carries_only_that_labs_instruments(
    app: FastAPI,
    served: str,
    demo: World,
    login: Login,
    start_worker: WorkerFactory,
    publisher: Publisher,
) -> None:
    """Another lab of the same institution streams through the same gateway: its instrument's
    readings reach that instrument's own stream but never this lab's live board."""
    async with app.state.sessionmaker() as session, session.begin():
        other_lab = await add_lab(
            session, demo.organisations["浙江省计量科学研究院"], "环境实验室", name_en="Climate lab"
        )
        other = await add_instrument(session, other_lab, "恒温恒湿箱", name_en="Climate chamber")
        other_temperature = await add_channel(
            session, other, demo.gateway, "temperature", "degC", device_key="chamber-2"
        )
    await start_worker()
    await app.state.live_hub.wait_connected()
    headers = await login("manager@zjim.demo")
    topic = topic_for(GATEWAY_KEY, TopicKind.TELEMETRY)
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream("GET", f"{served}/api/v1/labs/{demo.lab.id}/live", headers=headers) as board,
        http.stream(
            "GET", f"{served}/api/v1/instruments/{other.id}/live", headers=headers
        ) as other_stream,
    ):
        assert board.status_code == 200
        assert other_stream.status_code == 200
        board_events, other_events = sse_events(board), sse_events(other_stream)
        await next_event(board_events, "hello")
        await next_event(other_events, "hello")

        # Only the other lab's chamber reports: its stream shows it, the board gets nothing ...
        await asyncio.to_thread(
            publisher.publish, topic, batch(1, ("chamber-2", "temperature", 35.5))
        )
        readings = await next_event(other_events, "readings")
        assert [(r["channel_id"], r["value"]) for r in readings["readings"]] == [  # type: ignore[attr-defined]
            (other_temperature.id, 35.5)
        ]
        # ... and from a batch carrying both labs' chambers the board gets only its own.
        await asyncio.to_thread(
            publisher.publish,
            topic,
            batch(10, ("chamber-2", "temperature", 36.0), (DEVICE_KEY, "temperature", 22.0)),
        )
        readings = await next_event(board_events, "readings")
        assert [(r["channel_id"], r["value"]) for r in readings["readings"]] == [  # type: ignore[attr-defined]
            (demo.channels["temperature"].id, 22.0)
        ]
        readings = await next_event(other_events, "readings")
        assert [r["value"] for r in readings["readings"]] == [36.0]  # type: ignore[attr-defined]
