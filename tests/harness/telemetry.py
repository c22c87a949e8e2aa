"""Telemetry test helpers: seeded gateways/channels, a publisher, ingest workers, raw SQL writes.

The fixtures are imported by tests/telemetry/conftest.py."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import paho.mqtt.client as paho
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from server.core.config import Settings
from server.telemetry.worker import IngestWorker
from tests.harness import MosquittoBroker


@dataclass
class SeededGateway:
    id: uuid.UUID
    key: str
    channels: dict[tuple[str, str], int] = field(default_factory=dict)


class Seeder:
    """Inserts the rows the ingest worker reads, with plain SQL (as an integrator would)."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._instrument: uuid.UUID | None = None
        self._organisation: uuid.UUID | None = None

    def _base(self, conn: psycopg.Connection[Any]) -> tuple[uuid.UUID, uuid.UUID]:
        if self._instrument is None or self._organisation is None:
            org = conn.execute(
                "INSERT INTO organisation (kind, name, name_en, city)"
                " VALUES ('institution', '浙江省计量科学研究院', 'ZJIM', '杭州') RETURNING id"
            ).fetchone()
            assert org is not None
            lab = conn.execute(
                "INSERT INTO lab (organisation_id, name, name_en) VALUES (%s, '热工实验室', 'Thermal lab')"
                " RETURNING id",
                (org[0],),
            ).fetchone()
            assert lab is not None
            instrument = conn.execute(
                "INSERT INTO instrument (lab_id, organisation_id, name, name_en, model, is_open)"
                " VALUES (%s, %s, '高低温试验箱', 'Temperature chamber', 'SETH-Z-040L', true)"
                " RETURNING id",
                (lab[0], org[0]),
            ).fetchone()
            assert instrument is not None
            self._organisation, self._instrument = org[0], instrument[0]
        return self._organisation, self._instrument

    @property
    def instrument_id(self) -> uuid.UUID:
        """The instrument every seeded channel belongs to (once a gateway is seeded)."""
        assert self._instrument is not None, "seed a gateway first"
        return self._instrument

    def gateway(self, key: str, channels: dict[tuple[str, str], str]) -> SeededGateway:
        """A gateway and its channels, ``{(device, point): canonical_unit}``."""
        with psycopg.connect(self.conninfo) as conn:
            organisation, instrument = self._base(conn)
            row = conn.execute(
                "INSERT INTO gateway (key, organisation_id, name, secret_hash)"
                " VALUES (%s, %s, %s, 'not-used-here') RETURNING id",
                (key, organisation, f"Gateway {key}"),
            ).fetchone()
            assert row is not None
            seeded = SeededGateway(row[0], key)
            for (device, point), unit in channels.items():
                channel = conn.execute(
                    "INSERT INTO channel (instrument_id, gateway_id, device_key, point_key, name,"
                    " canonical_unit) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                    (instrument, seeded.id, device, point, point, unit),
                ).fetchone()
                assert channel is not None
                seeded.channels[(device, point)] = channel[0]
        return seeded

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


@pytest.fixture
def seeder(database_conninfo: str) -> Seeder:
    return Seeder(database_conninfo)


async def eventually(check: Callable[[], bool], within_s: float = 20.0, what: str = "") -> None:
    """Poll ``check`` until it holds; the worker writes asynchronously."""
    deadline = time.monotonic() + within_s
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within_s} s waiting for {what or check}")
        await asyncio.sleep(0.1)


class Publisher:
    """A gateway-side MQTT 5 client publishing at QoS 1 and waiting for PUBACK."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-gw-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv5,
        )
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(100)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(timeout=10)
        assert info.is_published(), f"broker did not acknowledge {topic}"

    def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        infos = [self.client.publish(t, p, qos=1) for t, p in messages]
        for info in infos:
            info.wait_for_publish(timeout=30)
            assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mosquitto: MosquittoBroker) -> Iterator[Publisher]:
    pub = Publisher(mosquitto)
    yield pub
    pub.close()


def forget_session(broker: MosquittoBroker, client_id: str) -> None:
    """End a worker's persistent session so it stops sharing later tests' messages."""
    if not broker.running:
        return
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 0
    client.connect(broker.host, broker.port, clean_start=True, properties=properties)
    client.loop_start()
    client.disconnect()
    client.loop_stop()


WorkerFactory = Callable[..., Awaitable[IngestWorker]]


@pytest.fixture
async def start_worker(
    database_url: str, mosquitto: MosquittoBroker
) -> AsyncIterator[WorkerFactory]:
    """Starts ingest workers on the test database and the session broker; stops them after."""
    started: list[IngestWorker] = []
    tag = uuid.uuid4().hex[:8]

    async def start(name: str = "w1", **kwargs: Any) -> IngestWorker:
        settings = Settings(
            database_url=database_url, mqtt_host=mosquitto.host, mqtt_port=mosquitto.port
        )
        # A group of its own: sessions left by other tests' workers never take our messages.
        kwargs.setdefault("share_group", f"ingest-{tag}")
        worker = IngestWorker(settings, client_id=f"ingest-test-{tag}-{name}", **kwargs)
        await worker.start()
        await worker.wait_subscribed()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        await worker.stop()
    for worker in started:
        forget_session(mosquitto, worker.client_id)


class Telemetry:
    """Writes samples and bookings with plain SQL, as the ingest worker and booking would."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo

    def insert(self, channel_id: int, samples: Sequence[tuple[datetime, float | None]]) -> None:
        statement = "COPY telemetry (channel_id, ts, value, quality) FROM STDIN"
        with (
            psycopg.connect(self.conninfo) as conn,
            conn.cursor() as cur,
            cur.copy(statement) as copy,
        ):
            for ts, value in samples:
                copy.write_row((channel_id, ts, value, 0))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo) as conn:
            cur = conn.execute(sql, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def booking(
        self,
        instrument_id: uuid.UUID,
        organisation_id: uuid.UUID,
        user_id: uuid.UUID,
        start: datetime,
        end: datetime,
        status: str = "completed",
    ) -> None:
        self.execute(
            "INSERT INTO booking (instrument_id, organisation_id, user_id, start_at, end_at,"
            " status) VALUES (%s, %s, %s, %s, %s, %s)",
            (instrument_id, organisation_id, user_id, start, end, status),
        )


@pytest.fixture
def telemetry(database_conninfo: str) -> Telemetry:
    return Telemetry(database_conninfo)


def stored_values(conninfo: str, channel_id: int) -> list[float]:
    """A channel's stored telemetry values in time order."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT value FROM telemetry WHERE channel_id = %s ORDER BY ts", (channel_id,)
        ).fetchall()
    return [r[0] for r in rows]


def insert_channels(
    conninfo: str,
    instrument_id: uuid.UUID,
    gateway_id: uuid.UUID,
    device_key: str,
    units: dict[str, str],
) -> dict[str, int]:
    """Channels of one device on an instrument, {point: canonical unit}; their ids by point."""
    channels: dict[str, int] = {}
    with psycopg.connect(conninfo) as conn:
        for point, unit in units.items():
            row = conn.execute(
                "INSERT INTO channel (instrument_id, gateway_id, device_key, point_key, name,"
                " canonical_unit) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (instrument_id, gateway_id, device_key, point, point, unit),
            ).fetchone()
            assert row is not None
            channels[point] = row[0]
    return channels


def gateway_key() -> str:
    """A gateway key of its own (the session's broker and workers outlive one test)."""
    return f"gw-{uuid.uuid4().hex[:10]}"


async def ingesting(
    seeder: Seeder,
    start_worker: WorkerFactory,
    units: dict[tuple[str, str], str],
    name: str = "w1",
    **worker_options: Any,
) -> tuple[str, str, IngestWorker]:
    """A new gateway with these channels ({(device, point): unit}) and an ingest worker for
    it: the gateway's key, its telemetry topic and the worker."""
    from mqtt_contract.v1 import TopicKind, topic_for

    key = gateway_key()
    seeder.gateway(key, units)
    worker = await start_worker(name, **worker_options)
    return key, topic_for(key, TopicKind.TELEMETRY), worker
