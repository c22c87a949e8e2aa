"""Live events fanned out from the broker to Server-Sent Events streams.

Every API process runs one :class:`LiveHub`: an MQTT client subscribed to the internal live
topics and to the gateways' retained birth/death messages. The ingest worker publishes the
newest reading of each channel of a batch on ``labshare/v1/live/readings`` right after the
batch's COMMIT; the state evaluator publishes changes on ``labshare/v1/live/state/{id}``.
Because the events travel through the broker, not through process memory, any number of
API workers and ingest workers can run side by side and every stream sees every event.

Live events are QoS 0: a stream that misses one catches up with the next (and a client
that reconnects reloads the latest values over HTTP first).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_contract.v1 import TOPIC_ROOT, Quality, TopicKind, parse_topic, subscription

__all__ = [
    "LIVE_READINGS_TOPIC",
    "LIVE_ROOT",
    "LiveFilter",
    "LiveHub",
    "Subscription",
    "readings_event",
    "state_topic",
]

log = logging.getLogger("labshare.live")

LIVE_ROOT = f"{TOPIC_ROOT}/live"
LIVE_READINGS_TOPIC = f"{LIVE_ROOT}/readings"
# Per subscriber; a stream that cannot keep up loses its oldest events, not the server's memory.
QUEUE_LIMIT = 1000


def state_topic(instrument_id: uuid.UUID) -> str:
    return f"{LIVE_ROOT}/state/{instrument_id}"


def readings_event(rows: Iterable[tuple[int, Any, float | None, int, int | None]]) -> bytes:
    """The compact event for committed telemetry rows: the newest row of each channel."""
    # On the ingest hot path: compare datetimes as they are, convert only the winners.
    newest: dict[int, tuple[Any, float | None, int]] = {}
    for channel_id, ts, value, quality, _seq in rows:
        known = newest.get(channel_id)
        if known is None or ts >= known[0]:
            newest[channel_id] = (ts, value, quality)
    return json.dumps(
        {"r": [[c, int(ts.timestamp() * 1000), v, q] for c, (ts, v, q) in newest.items()]},
        separators=(",", ":"),
    ).encode()


@dataclass(frozen=True, slots=True)
class LiveFilter:
    """What one stream wants: its instruments' channels, states and gateways."""

    channel_ids: frozenset[int]
    instrument_ids: frozenset[uuid.UUID]
    gateway_keys: frozenset[str] = frozenset()


@dataclass(slots=True, eq=False)
class Subscription:
    filter: LiveFilter
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )

    def offer(self, event: str, data: dict[str, Any]) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait((event, data))


# Names by stored code: a quality added to the contract is streamed by name too.
_QUALITIES = tuple(q.value for q in Quality)


_RECONNECT_MIN_S, _RECONNECT_MAX_S = 1.0, 10.0


class LiveHub:
    """One broker connection per process; streams subscribe with a :class:`LiveFilter`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self._subscriptions: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connected = threading.Event()
        self.gateway_status: dict[str, str] = {}
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"labshare-live-{uuid.uuid4().hex[:12]}",
            # Nothing here needs MQTT 5 (QoS 0, no session), and 3.1.1 also works with
            # brokers that lack 5, such as the demo's amqtt fallback.
            protocol=paho.MQTTv311,
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_message = self._handle_message
        self._client.on_subscribe = self._handle_subscribe

    # lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._network, name="live-hub", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        await asyncio.to_thread(self._stop)
        for sub in list(self._subscriptions):
            sub.offer("bye", {})
        self._subscriptions.clear()

    def _stop(self) -> None:
        self._stopping.set()
        self._client.disconnect()  # also wakes the network thread's select
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.connected.clear()

    def _network(self) -> None:
        """Connect, serve and reconnect with back-off until stopped.

        Our own loop rather than paho's ``loop_start``: paho sleeps out its reconnect delay
        in one-second steps, so stopping a hub without a broker took up to a second."""
        delay = _RECONNECT_MIN_S
        while not self._stopping.is_set():
            try:
                self._client.connect(self.host, self.port, keepalive=30)
            except (OSError, ValueError) as exc:
                if delay == _RECONNECT_MIN_S:
                    log.warning(
                        "live hub cannot reach the broker %s:%s: %s", self.host, self.port, exc
                    )
                self._stopping.wait(delay)
                delay = min(delay * 2, _RECONNECT_MAX_S)
                continue
            delay = _RECONNECT_MIN_S
            while not self._stopping.is_set():
                if self._client.loop(timeout=1.0) != paho.MQTT_ERR_SUCCESS:
                    break
            if not self._stopping.is_set():
                self._stopping.wait(delay)
        # Say goodbye on the connection, if there is one (a no-op without).
        self._client.disconnect()
        self._client.loop(timeout=0.1)

    async def wait_connected(self, wait_s: float = 10.0) -> None:
        if not await asyncio.to_thread(self.connected.wait, wait_s):
            raise TimeoutError(f"live hub not subscribed at {self.host}:{self.port} in {wait_s} s")

    # publishing

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        """Queue a publish; False when the broker is not reachable right now."""
        if not self._client.is_connected():
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == paho.MQTT_ERR_SUCCESS

    async def publish_confirmed(
        self, topic: str, payload: bytes, *, retain: bool, timeout_s: float = 5.0
    ) -> bool:
        """Publish at QoS 1 and wait for the broker's PUBACK."""
        if not self._client.is_connected():
            return False
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        await asyncio.to_thread(info.wait_for_publish, timeout_s)
        return info.is_published()

    def publish_states(self, changes: Sequence[Any]) -> None:
        for change in changes:
            payload = {
                "instrument_id": str(change.instrument_id),
                "state": str(change.state),
                "at": int(change.at.timestamp() * 1000),
            }
            self.publish(state_topic(change.instrument_id), json.dumps(payload).encode())

    # subscribing

    def subscribe(self, live_filter: LiveFilter) -> Subscription:
        sub = Subscription(live_filter)
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def dispatch(self, topic: str, payload: bytes) -> None:
        """Route one broker message to the streams that want it (on the event loop)."""
        try:
            doc = json.loads(payload) if payload else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return
        if not isinstance(doc, dict):
            return
        if topic == LIVE_READINGS_TOPIC:
            readings = [r for r in doc.get("r", []) if isinstance(r, list) and len(r) == 4]
            for sub in self._subscriptions:
                mine = [r for r in readings if r[0] in sub.filter.channel_ids]
                if mine:
                    sub.offer(
                        "readings",
                        {
                            "readings": [
                                {
                                    "channel_id": c,
                                    "ts": ts,
                                    "value": v,
                                    "quality": _QUALITIES[q] if 0 <= q < len(_QUALITIES) else None,
                                }
                                for c, ts, v, q in mine
                            ]
                        },
                    )
            return
        if topic.startswith(f"{LIVE_ROOT}/state/"):
            try:
                instrument_id = uuid.UUID(topic.rsplit("/", 1)[1])
            except ValueError:
                return
            for sub in self._subscriptions:
                if instrument_id in sub.filter.instrument_ids:
                    sub.offer("state", doc)
            return
        parsed = parse_topic(topic)
        if parsed is not None and parsed.kind is TopicKind.STATE:
            status = doc.get("status")
            if status not in ("online", "offline"):
                return
            self.gateway_status[parsed.gateway] = status
            for sub in self._subscriptions:
                if parsed.gateway in sub.filter.gateway_keys:
                    sub.offer("gateway", {"gateway": parsed.gateway, "status": status})

    # paho callbacks (network thread)

    def _handle_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            log.error("broker %s:%s refused the live hub: %s", self.host, self.port, reason_code)
            return
        client.subscribe([(f"{LIVE_ROOT}/#", 0), (subscription(TopicKind.STATE), 0)])

    def _handle_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reason_codes: Any, properties: Any
    ) -> None:
        if any(rc.is_failure for rc in reason_codes):
            log.error("broker refused the live subscriptions")
            return
        self.connected.set()

    def _handle_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        self.connected.clear()
        if reason_code.is_failure:
            log.warning("live hub lost the broker %s:%s: %s", self.host, self.port, reason_code)

    def _handle_message(self, client: paho.Client, userdata: Any, message: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        payload = bytes(message.payload)
        with contextlib.suppress(RuntimeError):  # loop closing during shutdown
            loop.call_soon_threadsafe(self.dispatch, message.topic, payload)
