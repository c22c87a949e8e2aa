"""The ingest worker's MQTT side: a persistent MQTT session with manual acknowledgement.

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

MQTT 5 is preferred: its shared subscription (``$share/ingest/...``) lets several workers
split the load. A broker that refuses MQTT 5 (the demo's pure-Python amqtt broker) gets the
same persistent session and manual acknowledgement over MQTT 3.1.1, with plain subscriptions:
every worker would then receive every message, so only one worker may run against it.

The subscriptions are made again on every connect, never trusting ``session_present``: a
restarted Mosquitto 2.0 brings back the session but not its shared subscriptions. Until they
are back, the broker answers gateways' publishes with "no matching subscribers", and the
gateways keep those samples spooled and send them again (see edge_agent/forwarder.py).

Which one a broker speaks is asked before the session is opened, with a bare MQTT 5 CONNECT
under a throw-away client id: amqtt 0.12 never answers a CONNECT that carries MQTT 5
properties (it misreads them and waits), so the session's own CONNECT cannot be the probe.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqtt_contract.v1 import SHARED_GROUP, TopicKind, shared_subscription, subscription
from server.core.health import connect_packet
from server.telemetry.validation import Inbound, decode_inbound
from server.telemetry.wire import WireBatch

__all__ = [
    "INGEST_KINDS",
    "MQTT_PROTOCOLS",
    "Consumer",
    "Delivery",
    "Received",
    "broker_speaks_mqtt5",
    "ingest_subscriptions",
]

log = logging.getLogger("labshare.ingest.mqtt")

INGEST_KINDS = (
    TopicKind.TELEMETRY,
    TopicKind.STATE,
    TopicKind.HEARTBEAT,
    TopicKind.INSPECTION,
    TopicKind.PROGRAM,
)

# Values of the ``LABSHARE_MQTT_PROTOCOL`` setting: "auto" tries MQTT 5 and falls back to
# 3.1.1 when the broker refuses it.
MQTT_PROTOCOLS = ("auto", "5", "3.1.1")
_V5, _V311 = "5", "3.1.1"
# CONNACK "Unsupported protocol version": MQTT 5's 0x84, and 3.1.1's return code 1, which a
# 3.1.1-only broker sends (paho reports both as 0x84).
_UNSUPPORTED_PROTOCOL_VERSION = 0x84
_UNACCEPTABLE_PROTOCOL_VERSION_311 = 0x01


def broker_speaks_mqtt5(
    host: str,
    port: int,
    *,
    username: str | None = None,
    password: str | None = None,
    timeout_s: float = 5.0,
) -> bool | None:
    """Whether the broker accepts MQTT 5; ``None`` when it cannot be reached or does not answer.

    A refusal for any reason but the protocol version (bad password, say) still means the
    broker speaks MQTT 5: the real connection then reports that refusal.
    """
    client_id = f"labshare-probe-{uuid.uuid4().hex[:12]}"
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(connect_packet(client_id, username, password, mqtt5=True))
            reply = b""
            while len(reply) < 4:
                chunk = sock.recv(4 - len(reply))
                if not chunk:
                    # Closed on our CONNECT without a CONNACK: what a 3.1.1 broker may do.
                    return False
                reply += chunk
            if reply[0] != 0x20:
                return None  # not an MQTT broker
            if reply[3] in (_UNSUPPORTED_PROTOCOL_VERSION, _UNACCEPTABLE_PROTOCOL_VERSION_311):
                return False
            if reply[3] == 0:
                sock.sendall(b"\xe0\x00")  # DISCONNECT; a clean-start session leaves nothing
            return True
    except OSError:
        return None


def ingest_subscriptions(group: str | None = SHARED_GROUP) -> list[str]:
    """The shared subscriptions of every worker in ``group``; plain ones when ``group`` is None."""
    if group is None:
        return [subscription(kind) for kind in INGEST_KINDS]
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
    """One MQTT client with a persistent session on the ingest subscriptions.

    ``protocol`` is one of :data:`MQTT_PROTOCOLS`. With ``"auto"`` the broker is first asked
    whether it speaks MQTT 5 (see :func:`broker_speaks_mqtt5`), retrying until it answers;
    the session then uses MQTT 5 with shared subscriptions, or 3.1.1 with plain ones, for the
    life of this consumer.
    """

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
        protocol: str = "auto",
    ) -> None:
        if protocol not in MQTT_PROTOCOLS:
            raise ValueError(
                f"MQTT protocol must be one of {', '.join(MQTT_PROTOCOLS)}, not {protocol!r}"
            )
        self.host = host
        self.port = port
        self.client_id = client_id
        self._on_received = on_received
        self._username, self._password = username, password
        self._session_expiry_s = session_expiry_s
        self._receive_maximum = receive_maximum
        self._keepalive_s = keepalive_s
        self._share_group = share_group
        self._requested = protocol
        self.protocol = _V311 if protocol == _V311 else _V5
        self.subscriptions = self._subscriptions_for(self.protocol)
        self._generation = 0
        self._lock = threading.Lock()
        self._stop_requested = threading.Event()
        self._prober: threading.Thread | None = None
        self.connected = threading.Event()
        self._client = self._new_client(self.protocol)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def alive(self) -> bool:
        """paho's network thread is running (it ends if a callback raises; none of ours should)."""
        thread = getattr(self._client, "_thread", None)
        return not isinstance(thread, threading.Thread) or thread.is_alive()

    @property
    def shared(self) -> bool:
        """Whether the subscriptions are shared, i.e. several workers may run side by side."""
        return self.protocol == _V5

    def _subscriptions_for(self, protocol: str) -> list[str]:
        return ingest_subscriptions(self._share_group if protocol == _V5 else None)

    def _new_client(self, protocol: str) -> paho.Client:
        if protocol == _V5:
            client = paho.Client(
                CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                protocol=paho.MQTTv5,
                manual_ack=True,
            )
        else:
            # A persistent session, as with MQTT 5's clean start off; how long the broker
            # keeps it is the broker's setting (3.1.1 has no session expiry).
            client = paho.Client(
                CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                protocol=paho.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )
        if self._username is not None:
            client.username_pw_set(self._username, self._password)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_subscribe = self._handle_subscribe
        return client

    def start(self) -> None:
        """Connect in the background; with ``"auto"`` only once the broker has said which MQTT."""
        if self._requested != "auto":
            self._connect(self.protocol)
            return
        self._prober = threading.Thread(
            target=self._probe_then_connect, name=f"mqtt-probe {self.client_id}", daemon=True
        )
        self._prober.start()

    def _probe_then_connect(self) -> None:
        delay, told = 0.5, False
        while not self._stop_requested.is_set():
            speaks_5 = broker_speaks_mqtt5(
                self.host, self.port, username=self._username, password=self._password
            )
            if speaks_5 is not None:
                with self._lock:
                    if self._stop_requested.is_set():
                        return
                    if not speaks_5:
                        self.protocol = _V311
                        self.subscriptions = self._subscriptions_for(_V311)
                        self._client = self._new_client(_V311)
                    self._connect(self.protocol)
                return
            if not told:
                log.warning(
                    "MQTT broker %s:%s not reachable yet; the ingest worker keeps trying",
                    self.host, self.port,
                )  # fmt: skip
                told = True
            self._stop_requested.wait(delay)
            delay = min(delay * 2, 10.0)

    def _connect(self, protocol: str) -> None:
        client = self._client
        if protocol == _V5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            # Outstanding messages wait in the broker for us across restarts of this worker.
            properties.SessionExpiryInterval = self._session_expiry_s
            # Bounds how many unacknowledged messages the broker hands us (and so our memory).
            properties.ReceiveMaximum = self._receive_maximum
            client.connect_async(
                self.host,
                self.port,
                keepalive=self._keepalive_s,
                clean_start=False,
                properties=properties,
            )
        else:
            log.warning(
                "ingest worker %s uses MQTT 3.1.1 with %s:%s%s, without a shared subscription: "
                "every worker would receive every message, so run only one ingest worker "
                "against this broker",
                self.client_id, self.host, self.port,
                " (the broker refused MQTT 5)" if self._requested == "auto" else "",
            )  # fmt: skip
            client.connect_async(self.host, self.port, keepalive=self._keepalive_s)
        client.loop_start()

    def stop(self) -> None:
        """Disconnect after the acknowledgements already queued are sent; keeps the session."""
        self._stop_requested.set()
        if self._prober is not None:
            self._prober.join()
            self._prober = None
        with self._lock:
            client = self._client
        client.disconnect()
        client.loop_stop()
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
            hint = (
                " (set LABSHARE_MQTT_PROTOCOL=auto or 3.1.1 for a broker without MQTT 5)"
                if reason_code == _UNSUPPORTED_PROTOCOL_VERSION
                else ""
            )
            log.error(
                "MQTT broker %s:%s refused the ingest worker: %s%s",
                self.host, self.port, reason_code, hint,
            )  # fmt: skip
            return
        with self._lock:
            self._generation += 1
        log.info(
            "ingest worker %s connected to MQTT %s %s:%s (session present: %s)",
            self.client_id, self.protocol, self.host, self.port, flags.session_present,
        )  # fmt: skip
        self._connect_failures = 0
        # Subscribe on every connect, whatever session_present says: Mosquitto 2.0 restores
        # a persistent session after a restart but not its $share subscriptions, so a
        # session that is "present" may no longer be subscribed to anything.
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
        samples = sum(len(s.seqs) for s in batch.series) if isinstance(batch, WireBatch) else 0
        with self._lock:
            generation = self._generation
        self._on_received(
            Received(inbound, Delivery(message.mid, message.qos, generation), samples)
        )
