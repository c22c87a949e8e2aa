"""The ingest worker's MQTT side: a persistent MQTT 5 session with manual acknowledgement.

paho runs its network loop in its own thread. Each message is decoded there (so JSON and
schema work stays off the asyncio loop) and handed over through ``on_received``. The worker
acknowledges a message only after its data is committed, by calling :meth:`Consumer.ack`
from the asyncio thread: paho's ``ack`` only appends a PUBACK to its outgoing deque and wakes
the loop through its socket pair, which is what paho itself does for ``publish`` from other
threads.

Acknowledgements carry the connection generation they were received on. After a reconnect
the broker resends every unacknowledged message of the session with its original packet id;
a late PUBACK for the old copy could then acknowledge a different message that reused the id.
So only messages of the current connection are acknowledged; older ones are acknowledged
through their redelivered copy (stored again harmlessly: telemetry deduplicates).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqtt_contract.v1 import SHARED_GROUP, TopicKind, shared_subscription
from server.telemetry.validation import Inbound, decode_inbound
from server.telemetry.wire import WireBatch

__all__ = ["INGEST_KINDS", "Consumer", "Delivery", "Received", "ingest_subscriptions"]

log = logging.getLogger("labshare.ingest.mqtt")

INGEST_KINDS = (TopicKind.TELEMETRY, TopicKind.STATE, TopicKind.HEARTBEAT)


def ingest_subscriptions(group: str = SHARED_GROUP) -> list[str]:
    """The shared subscriptions of every worker in ``group`` (one group per deployment)."""
    return [shared_subscription(kind, group) for kind in INGEST_KINDS]


@dataclass(frozen=True, slots=True)
class Delivery:
    mid: int
    qos: int
    generation: int


@dataclass(frozen=True, slots=True)
class Received:
    inbound: Inbound
    delivery: Delivery
    samples: int


class Consumer:
    """One MQTT 5 client with a persistent session on the shared ingest subscriptions."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        client_id: str,
        on_received: Callable[[Received], None],
        username: str | None = None,
        password: str | None = None,
        session_expiry_s: int = 24 * 3600,
        receive_maximum: int = 1000,
        keepalive_s: int = 30,
        share_group: str = SHARED_GROUP,
    ) -> None:
        self.host = host
        self.port = port
        self.client_id = client_id
        self._on_received = on_received
        self._session_expiry_s = session_expiry_s
        self._receive_maximum = receive_maximum
        self._keepalive_s = keepalive_s
        self.subscriptions = ingest_subscriptions(share_group)
        self._generation = 0
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_message = self._handle_message
        self._client.on_subscribe = self._handle_subscribe
        self._connect_failures = 0

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        # Outstanding messages wait in the broker for us across restarts of this worker.
        properties.SessionExpiryInterval = self._session_expiry_s
        # Bounds how many unacknowledged messages the broker hands us (and so our memory).
        properties.ReceiveMaximum = self._receive_maximum
        self._client.connect_async(
            self.host,
            self.port,
            keepalive=self._keepalive_s,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect after the acknowledgements already queued are sent; keeps the session."""
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def publish(self, topic: str, payload: bytes) -> None:
        """Fire-and-forget QoS 0 publish (live events after COMMIT); dropped while offline."""
        if self._client.is_connected():
            self._client.publish(topic, payload, qos=0)

    def ack(self, delivery: Delivery) -> bool:
        """Acknowledge a committed message; ``False`` if it came on an earlier connection."""
        if delivery.qos == 0:
            return True
        with self._lock:
            # The generation moves on every connect and disconnect, so a match means the
            # connection that delivered the message is still the live one.
            if delivery.generation != self._generation:
                return False
            self._client.ack(delivery.mid, delivery.qos)
            return True

    # paho callbacks, on the network thread

    def _handle_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            log.error(
                "MQTT broker %s:%s refused the ingest worker: %s", self.host, self.port, reason_code
            )
            return
        with self._lock:
            self._generation += 1
        log.info(
            "ingest worker %s connected to MQTT %s:%s (session present: %s)",
            self.client_id, self.host, self.port, flags.session_present,
        )  # fmt: skip
        self._connect_failures = 0
        client.subscribe([(topic, 1) for topic in self.subscriptions])

    def _handle_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reason_codes: Any, properties: Any
    ) -> None:
        failed = [str(rc) for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("MQTT broker refused the ingest subscriptions: %s", ", ".join(failed))
            return
        self.connected.set()

    def _handle_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        with self._lock:
            self._generation += 1
            self.connected.clear()
        if reason_code.is_failure:
            log.warning("ingest worker lost MQTT %s:%s: %s", self.host, self.port, reason_code)

    def _handle_message(
        self, client: paho.Client, userdata: Any, message: paho.MQTTMessage
    ) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = repr(message._topic)
        payload = message.payload
        inbound = decode_inbound(topic, payload if isinstance(payload, bytes) else bytes(payload))
        batch = inbound.message
        samples = sum(len(s.samples) for s in batch.series) if isinstance(batch, WireBatch) else 0
        with self._lock:
            generation = self._generation
        self._on_received(
            Received(inbound, Delivery(message.mid, message.qos, generation), samples)
        )
