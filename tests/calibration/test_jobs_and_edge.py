"""Scheduled calibration work: reminders from the server's own job runner, correction sets
published retained to the gateways, and bookings after an out-of-tolerance finding."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import paho.mqtt.client as mqtt
import pytest
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from mqtt_contract.v1 import CalibrationSet, TopicKind, topic_for
from server.calibration.config import CalibrationSettings
from server.calibration.jobs import run_calibration_jobs
from server.core.config import Settings
from server.jobs import BackgroundJobs, JobSettings
from tests.harness.app import Login
from tests.harness.calibration import insert_booking, run_sql
from tests.harness.factories import World
from tests.harness.mosquitto import MosquittoBroker

MANAGER = "manager@zjim.demo"


@pytest.fixture
def settings(settings: Settings, mosquitto: MosquittoBroker) -> Settings:
    # The server's broker connection (its live hub) is what publishes the correction sets.
    return settings.model_copy(update={"mqtt_host": mosquitto.host, "mqtt_port": mosquitto.port})


@pytest.fixture
def job_settings() -> JobSettings:
    # Passes of the job runner are made by the tests, at the times they choose.
    return JobSettings(jobs_enabled=False)


@pytest.fixture
async def app(app: FastAPI) -> FastAPI:
    """The shared app, once its broker connection (which pushes correction sets) is up."""
    await app.state.live_hub.wait_connected()
    return app


async def _certificate(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    demo: World,
    number: str,
    validity: tuple[datetime, datetime],
    corrections: list[dict[str, object]] | None = None,
) -> None:
    """Record a passing certificate valid over ``validity`` for the demo chamber."""
    valid_from, valid_to = validity
    response = await client.post(
        f"/api/v1/instruments/{demo.instrument.id}/calibration/certificates",
        headers=headers,
        json={
            "number": number,
            "agency": "浙江省计量科学研究院",
            "granted_on": valid_from.date().isoformat(),
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat(),
            "result": "pass",
            "corrections": corrections or [],
        },
    )
    assert response.status_code == 201, response.text


def _days(now: datetime, start: float, end: float) -> tuple[datetime, datetime]:
    return now + timedelta(days=start), now + timedelta(days=end)


async def _due_notices(app: FastAPI) -> list[tuple[uuid.UUID, str]]:
    async with app.state.sessionmaker() as session:
        rows = await (await session.connection()).execute(
            text(
                "SELECT user_id, data->>'valid_to' FROM notification"
                " WHERE kind = 'calibration.due' ORDER BY created_at"
            )
        )
        return [(row[0], row[1]) for row in rows]


async def _retained(broker: MosquittoBroker, topic: str) -> mqtt.MQTTMessage:
    """The retained message a gateway connecting now would receive on ``topic``."""

    def receive() -> mqtt.MQTTMessage:
        got: list[mqtt.MQTTMessage] = []
        arrived = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")

        def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
            got.append(message)
            arrived.set()

        client.on_message = on_message
        client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        client.connect(broker.host, broker.port)
        client.loop_start()
        try:
            assert arrived.wait(10), f"nothing retained on {topic}"
        finally:
            client.disconnect()
            client.loop_stop()
        return got[0]

    return await asyncio.to_thread(receive)


async def test_a_due_calibration_reminds_each_lab_manager_once_however_often_the_jobs_run(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    manager = await login(MANAGER)
    valid_to = now + timedelta(days=5)
    await _certificate(client, manager, demo, "JJ-DUE-5", _days(now, -360, 5))
    jobs = BackgroundJobs(app.state.sessionmaker, JobSettings(jobs_enabled=False))

    await jobs.run_once(now)
    await jobs.run_once(now + timedelta(minutes=1))

    # Due in five days is inside both default lead times (30 and 7 days): one reminder.
    notices = await _due_notices(app)
    assert notices == [(demo.users[MANAGER].id, valid_to.isoformat())]


async def test_reminders_follow_the_configured_lead_times(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await _certificate(client, await login(MANAGER), demo, "JJ-DUE-20", _days(now, -300, 20))
    ten_days = CalibrationSettings(calibration_reminder_lead_days=[10])

    early = await run_calibration_jobs(app.state.sessionmaker, now, settings=ten_days)
    assert early.reminders == 0
    later = now + timedelta(days=11)
    first = await run_calibration_jobs(app.state.sessionmaker, later, settings=ten_days)
    again = await run_calibration_jobs(app.state.sessionmaker, later, settings=ten_days)
    assert (first.reminders, again.reminders) == (1, 0)


def test_lead_times_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABSHARE_CALIBRATION_REMINDER_LEAD_DAYS", "7, 30")
    assert CalibrationSettings().calibration_reminder_lead_days == [30, 7]
    monkeypatch.setenv("LABSHARE_CALIBRATION_REMINDER_LEAD_DAYS", "0")
    with pytest.raises(ValueError, match="calibration_reminder_lead_days"):
        CalibrationSettings()


async def test_a_recorded_correction_reaches_the_gateway_retained_and_goes_when_it_lapses(
    app: FastAPI,
    client: httpx.AsyncClient,
    demo: World,
    login: Login,
    mosquitto: MosquittoBroker,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    valid_from, valid_to = now - timedelta(days=1), now + timedelta(days=364)
    topic = topic_for(demo.gateway.key, TopicKind.CALIBRATION)

    await _certificate(
        client,
        await login(MANAGER),
        demo,
        "JJ-CORR-1",
        (valid_from, valid_to),
        corrections=[
            {"device": "chamber-1", "point": "temperature", "offset": -0.2, "gain": 1.001}
        ],
    )

    message = await _retained(mosquitto, topic)
    assert message.retain
    published = CalibrationSet.model_validate_json(message.payload)
    assert published.gateway == demo.gateway.key
    assert [(c.device, c.point, c.kind, c.offset, c.gain) for c in published.corrections] == [
        ("chamber-1", "temperature", "offset_gain", -0.2, 1.001)
    ]
    correction = published.corrections[0]
    assert correction.valid_from_ms == int(valid_from.timestamp() * 1000)
    assert correction.valid_to_ms == int(valid_to.timestamp() * 1000)

    # Nothing changed: the job runner does not publish the same corrections again.
    unchanged = await run_calibration_jobs(
        app.state.sessionmaker, now + timedelta(hours=1), publisher=app.state.live_hub
    )
    assert unchanged.published_topics == []
    # Once the certificate has lapsed the gateway is sent a set without its correction.
    lapsed = await run_calibration_jobs(
        app.state.sessionmaker, valid_to + timedelta(seconds=1), publisher=app.state.live_hub
    )
    assert lapsed.published_topics == [topic]
    after = CalibrationSet.model_validate_json((await _retained(mosquitto, topic)).payload)
    assert after.corrections == []


async def test_an_out_of_tolerance_finding_lists_and_flags_the_bookings_still_to_come(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    manager = await login(MANAGER)
    await _certificate(client, manager, demo, "JJ-OOT-1", _days(now, -100, 200))
    used = await insert_booking(app, demo, now - timedelta(days=3), 2, "completed")
    upcoming = await insert_booking(app, demo, now + timedelta(days=2), 3, "confirmed")
    await insert_booking(app, demo, now + timedelta(days=4), 1, "cancelled")

    finding = {"performed_at": now.isoformat(), "reference_value": 50.0, "measured_value": 52.0}
    checks = f"/api/v1/instruments/{demo.instrument.id}/calibration/checks"
    failed = await client.post(checks, headers=manager, json={**finding, "tolerance": 0.5})
    assert failed.status_code == 201, failed.text
    report = failed.json()["impact_report"]
    assert [b["booking_id"] for b in report["bookings"]] == [str(used)]
    assert [(b["booking_id"], b["status"]) for b in report["upcoming_bookings"]] == [
        (str(upcoming), "confirmed")
    ]
    # Flagged at once by the booking domain, before any pass of its job.
    flags = await run_sql(app, "SELECT flag FROM booking WHERE id = :id", {"id": upcoming})
    assert flags == ["out_of_service"]
    async with app.state.sessionmaker() as session:
        told = await (await session.connection()).execute(
            text("SELECT kind FROM outbox WHERE user_id = :u ORDER BY kind"),
            {"u": demo.users["buyer@jingce.demo"].id},
        )
        kinds = [row[0] for row in told]
    assert "booking_flagged" in kinds
    assert "calibration.out_of_tolerance" in kinds
