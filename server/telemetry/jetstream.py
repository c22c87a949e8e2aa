"""The ingest worker's NATS side: a durable JetStream pull consumer on the MQTT message stream.

With ``LABSHARE_NATS_URL`` set, gateways publish over MQTT to a NATS cluster (the broker tier
of docs/production.md) and the ingest workers read through JetStream instead of an MQTT
session. Which stream they read is decided by how nats-server 2.9 answers an MQTT QoS 1
PUBLISH: it delivers the message on the NATS subject (``labshare/v1/gw/g1/telemetry`` becomes
``labshare.v1.gw.g1.telemetry``) *and* stores it in the account's MQTT message stream
``$MQTT_msgs`` under ``$MQTT.msgs.<subject>``, and it sends the PUBACK only once that store
succeeded (the stream's PubAck: a quorum of the replicas has it). A separate stream capturing
``labshare.v1.gw.>`` would be fed by the plain delivery, which nothing acknowledges: a message
the gateway already saw PUBACKed could be lost when the node it arrived on died, or while
the stream elected a new leader. So the workers read ``$MQTT_msgs`` itself, through one durable
pull consumer (``LABSHARE_NATS_DURABLE``) filtered on ``$MQTT.msgs.labshare.v1.gw.>``, shared
by every worker. ``$MQTT_msgs`` keeps a message while a consumer is interested in it (interest
retention), so a message stays in the cluster, replicated, until a worker acknowledges it,
and a worker acknowledges only after COMMIT (``IngestWorker._count_and_ack``), like the MQTT
consumer's manual PUBACK. A message not acknowledged within ``LABSHARE_NATS_ACK_WAIT_S`` is
delivered again (to any worker): telemetry is stored once per channel and timestamp, so
that is harmless.

Heartbeats are MQTT QoS 0: nats-server does not store them, so a plain NATS subscription in
the queue group ``ingest`` takes them (each goes to one worker; lost while none is connected,
as over MQTT).

The NATS client runs on its own thread and event loop, as paho does for the MQTT consumer:
decoding stays off the worker's loop and an ``ack`` from the worker is handed over with
``run_coroutine_threadsafe``.

Before any gateway connects for the first time, the ingest workers must have created the
consumer: a message the stream stores while nobody is interested in it is dropped at once.
The consumer is durable, so this only matters on the very first start of a cluster. The
worker creates ``$MQTT_msgs`` itself (with the configuration nats-server would give it) when
no MQTT client has made the server create it yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from mqtt_contract.v1 import TOPIC_ROOT, TopicKind, parse_topic
from server.telemetry.mqtt import INGEST_KINDS, Delivery, Received
from server.telemetry.validation import decode_inbound
from server.telemetry.wire import WireBatch

__all__ = [
    "HEARTBEAT_QUEUE",
    "MQTT_STREAM",
    "MQTT_STREAM_PREFIX",
    "JetStreamConsumer",
    "mqtt_topic_to_subject",
    "subject_to_mqtt_topic",
]

log = logging.getLogger("labshare.ingest.nats")

# nats-server's MQTT message stream and the subject prefix of what it stores there.
MQTT_STREAM = "$MQTT_msgs"
MQTT_STREAM_PREFIX = "$MQTT.msgs."
HEARTBEAT_QUEUE = "ingest"


def mqtt_topic_to_subject(topic: str) -> str:
    """The NATS subject of an MQTT topic (nats-server 2.9: ``/`` becomes ``.``).

    Contract topics never hold ``.`` (nats-server 2.9 refuses such topics) nor empty levels.
    """
    return topic.replace("/", ".")


def subject_to_mqtt_topic(subject: str) -> str:
    return subject.replace(".", "/")


GATEWAY_FILTER = MQTT_STREAM_PREFIX + mqtt_topic_to_subject(f"{TOPIC_ROOT}/gw") + ".>"
HEARTBEAT_SUBJECT = mqtt_topic_to_subject(f"{TOPIC_ROOT}/gw/*/{TopicKind.HEARTBEAT.value}")


class JetStreamConsumer:
    """The ingest side of a NATS cluster; the same surface as ``server.telemetry.mqtt.Consumer``."""

    def __init__(
        self,
        *,
        servers: list[str],
        durable: str,
        client_name: str,
        on_received: Callable[[Received], None],
        username: str | None = None,
        password: str | None = None,
        ack_wait_s: float = 30.0,
        max_ack_pending: int = 1000,
        fetch_batch: int = 200,
        stream_replicas: int = 3,
    ) -> None:
        self.servers = servers
        self.durable = durable
        self.client_name = client_name
        self._on_received = on_received
        self._username, self._password = username, password
        self._ack_wait_s = ack_wait_s
        self._max_ack_pending = max_ack_pending
        self._fetch_batch = fetch_batch
        self._stream_replicas = stream_replicas
        self.connected = threading.Event()
        self._stop_requested = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._nc: NatsClient | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, Msg] = {}
        self._lock = threading.Lock()
        self._stop_event: asyncio.Event | None = None
        self._background: set[asyncio.Future[None]] = set()

    @property
    def address(self) -> str:
        return ",".join(self.servers)

    # -- called from the worker ---------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._thread_main, name=f"nats {self.client_name}", daemon=True
        )
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Send the acknowledgements already handed over, then disconnect."""
        self._stop_requested.set()
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        self.connected.clear()

    def publish(self, topic: str, payload: bytes) -> None:
        """Fire-and-forget publish (live events after COMMIT); MQTT subscribers see it at QoS 0."""
        nc, loop = self._nc, self._loop
        if nc is None or loop is None or loop.is_closed() or not nc.is_connected:
            return
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(
                nc.publish(mqtt_topic_to_subject(topic), payload), loop
            )

    def ack(self, delivery: Delivery) -> bool:
        """Acknowledge a committed message (always possible: acks do not depend on a connection)."""
        if delivery.qos == 0:
            return True
        with self._lock:
            msg = self._pending.pop(delivery.mid, None)
        loop = self._loop
        if msg is None or loop is None or loop.is_closed():
            return False
        try:
            asyncio.run_coroutine_threadsafe(self._ack(msg), loop)
        except RuntimeError:
            return False
        return True

    # -- the NATS thread ----------------------------------------------------------------
    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("the ingest worker's NATS thread failed")
        finally:
            # The NATS client's own tasks (subscription readers, reconnect) end with the loop.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _ack(self, msg: Msg) -> None:
        try:
            await msg.ack()
        except Exception as exc:  # delivered again after ack_wait; stored once anyway
            log.warning("JetStream acknowledgement not sent (%s); the message comes again", exc)

    async def _main(self) -> None:
        self._stop_event = asyncio.Event()
        if self._stop_requested.is_set():
            return
        delay, told = 0.5, False
        while not self._stop_requested.is_set():
            try:
                self._nc = await nats.connect(
                    servers=self.servers,
                    name=self.client_name,
                    user=self._username,
                    password=self._password,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    ping_interval=5,
                    max_outstanding_pings=2,
                    error_cb=self._error,
                    disconnected_cb=self._disconnected,
                    reconnected_cb=self._reconnected,
                )
                break
            except Exception as exc:
                if not told:
                    log.warning(
                        "NATS %s not reachable yet (%s); the ingest worker keeps trying",
                        self.address,
                        exc,
                    )
                    told = True
                await self._pause(delay)
                delay = min(delay * 2, 5.0)
        nc = self._nc
        if nc is None:
            return
        try:
            await nc.subscribe(HEARTBEAT_SUBJECT, queue=HEARTBEAT_QUEUE, cb=self._heartbeat)
            await self._consume(nc)
        finally:
            self.connected.clear()
            # Acknowledgements already handed over go out before the connection closes.
            with contextlib.suppress(Exception):
                await nc.flush(timeout=2)
            with contextlib.suppress(Exception):
                await nc.close()
            self._nc = None

    async def _pause(self, seconds: float) -> None:
        assert self._stop_event is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    async def _ensure_consumer(self, nc: NatsClient) -> None:
        js = nc.jsm(timeout=5)
        try:
            await js.stream_info(MQTT_STREAM)
        except NotFoundError:
            # What nats-server creates when the account's first MQTT client connects.
            await js.add_stream(
                StreamConfig(
                    name=MQTT_STREAM,
                    subjects=[MQTT_STREAM_PREFIX + ">"],
                    storage=StorageType.FILE,
                    retention=RetentionPolicy.INTEREST,
                    num_replicas=self._stream_replicas,
                )
            )
            log.info("created the MQTT message stream %s", MQTT_STREAM)
        try:
            await js.consumer_info(MQTT_STREAM, self.durable)
        except NotFoundError:
            await js.add_consumer(
                MQTT_STREAM,
                ConsumerConfig(
                    durable_name=self.durable,
                    filter_subject=GATEWAY_FILTER,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_policy=AckPolicy.EXPLICIT,
                    ack_wait=self._ack_wait_s,
                    max_ack_pending=self._max_ack_pending,
                ),
            )
            log.info("created the durable JetStream consumer %s", self.durable)

    async def _consume(self, nc: NatsClient) -> None:
        js = nc.jetstream(timeout=5)
        sub: Any = None
        while not self._stop_requested.is_set():
            try:
                if sub is None:
                    await self._ensure_consumer(nc)
                    sub = await js.pull_subscribe_bind(durable=self.durable, stream=MQTT_STREAM)
                    self.connected.set()
                    log.info(
                        "ingest worker %s consuming %s > %s on NATS %s",
                        self.client_name, MQTT_STREAM, self.durable, self.address,
                    )  # fmt: skip
                msgs = await sub.fetch(self._fetch_batch, timeout=1)
            except TimeoutError:
                continue
            except Exception as exc:
                if self._stop_requested.is_set():
                    break
                log.warning("JetStream fetch from %s failed: %r; retrying", self.address, exc)
                if not nc.is_connected:
                    self.connected.clear()
                if sub is not None and not isinstance(exc, nats.errors.Error):
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
                    sub = None
                await self._pause(0.5)
                continue
            if nc.is_connected:
                self.connected.set()
            for msg in msgs:
                self._deliver(msg)

    def _deliver(self, msg: Msg) -> None:
        subject = msg.subject
        topic = subject_to_mqtt_topic(subject.removeprefix(MQTT_STREAM_PREFIX))
        parsed = parse_topic(topic)
        if parsed is not None and parsed.kind not in INGEST_KINDS:
            # Config and calibration documents the server sent to gateways: not for ingest.
            task = asyncio.ensure_future(self._ack(msg))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return
        with self._lock:
            mid = next(self._ids)
            self._pending[mid] = msg
        self._hand_over(topic, msg.data, Delivery(mid, 1, 0))

    async def _heartbeat(self, msg: Msg) -> None:
        self._hand_over(subject_to_mqtt_topic(msg.subject), msg.data, Delivery(0, 0, 0))

    def _hand_over(self, topic: str, payload: bytes, delivery: Delivery) -> None:
        inbound = decode_inbound(topic, payload)
        batch = inbound.message
        samples = sum(len(s.seqs) for s in batch.series) if isinstance(batch, WireBatch) else 0
        self._on_received(Received(inbound, delivery, samples))

    async def _error(self, exc: Exception) -> None:
        log.warning("NATS %s: %r", self.address, exc)

    async def _disconnected(self) -> None:
        self.connected.clear()
        if not self._stop_requested.is_set():
            log.warning("ingest worker lost NATS %s; reconnecting", self.address)

    async def _reconnected(self) -> None:
        nc = self._nc
        url = getattr(nc, "connected_url", None) if nc is not None else None
        log.info("ingest worker reconnected to NATS %s", getattr(url, "netloc", url))
