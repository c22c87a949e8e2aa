"""The gateway's MQTT connection (paho-mqtt 2, VERSION2 callbacks, MQTT 5).

MQTT 5 because its PUBACK carries a reason code: a broker that accepted a message but had
no subscriber for it (0x10, for example right after a restart, before the ingest worker has
subscribed again) or refused it (0x80 and above) says so, where an MQTT 3.1.1 PUBACK would
look like a delivery. The reason code goes to ``on_ack`` with the message id.

paho runs its network loop in its own thread; every callback is handed to the asyncio loop
with ``call_soon_threadsafe`` so the rest of the agent stays single-threaded.

Several broker nodes (``servers``, a clustered broker tier): the link connects to the first
and, whenever the connection is lost or a connection attempt fails, tries the next one, round
the list: the next node after 1 s, and paho's doubling reconnect delay (up to 30 s, reset by
a successful CONNACK) only once a whole round of nodes has failed. QoS 1 messages still waiting for their PUBACK are sent again by paho on the new
connection (with the DUP flag), so the forwarder's samples in flight are resent to the node
that took over; samples keep their place in the spool until a PUBACK.

``protocol="auto"`` starts with MQTT 5 and falls back to 3.1.1 for good when a broker answers
"unsupported protocol version" (nats-server's MQTT listener speaks only 3.1.1).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

__all__ = ["MqttLink"]

log = logging.getLogger("edge_agent.mqtt")

# CONNACK "unsupported protocol version" (MQTT 5 0x84; paho reports a 3.1.1 broker's return
# code 1 the same way).
_UNSUPPORTED_PROTOCOL = 0x84


class MqttLink:
    """Connect, reconnect, publish with acknowledgement callbacks, and subscribe."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        host: str,
        port: int,
        client_id: str,
        username: str | None = None,
        password_env: str | None = None,
        keepalive_s: int = 30,
        will: tuple[str, bytes] | None = None,
        on_connected: Callable[[], None] | None = None,
        on_disconnected: Callable[[], None] | None = None,
        on_ack: Callable[[int, int], None] | None = None,
        on_message: Callable[[str, bytes], None] | None = None,
        protocol: str = "5",
        servers: Sequence[tuple[str, int]] = (),
    ) -> None:
        self._loop = loop
        self.addresses = list(servers) or [(host, port)]
        self._index = 0
        self.host, self.port = self.addresses[0]
        self.protocol = "3.1.1" if protocol == "3.1.1" else "5"
        self._auto_protocol = protocol == "auto"
        self.failovers = 0
        self._retry_same_node = False
        self._keepalive_s = keepalive_s
        self._subscriptions: dict[str, int] = {}
        self._connected = False
        self._stopping = False
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._on_ack = on_ack
        self._on_message = on_message
        self.acks: dict[int, asyncio.Future[int]] = {}
        version = mqtt.MQTTv5 if self.protocol == "5" else mqtt.MQTTv311
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version)
        if username is not None:
            password = os.environ.get(password_env) if password_env else None
            client.username_pw_set(username, password)
        if will is not None:
            client.will_set(will[0], will[1], qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        # The forwarder bounds in-flight batches itself; paho must never refuse one.
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.on_connect = self._paho_connect
        client.on_disconnect = self._paho_disconnect
        client.on_publish = self._paho_publish
        client.on_message = self._paho_message
        client.on_connect_fail = self._paho_connect_fail
        self._client = client

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=self._keepalive_s)
        self._client.loop_start()

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool = False) -> int | None:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        # NO_CONN: paho keeps a QoS 1 message queued and sends it after the reconnect.
        if info.rc in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            return int(info.mid)
        return None

    def subscribe(self, topic: str, qos: int = 1) -> None:
        self._subscriptions[topic] = qos
        if self._connected:
            self._client.subscribe(topic, qos=qos)

    def unsubscribe(self, topic: str) -> None:
        if self._subscriptions.pop(topic, None) is not None and self._connected:
            self._client.unsubscribe(topic)

    async def publish_and_wait(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        timeout_s: float = 3,
        on_mid: Callable[[int], None] | None = None,
    ) -> bool:
        mid = self.publish(topic, payload, qos, retain)
        if mid is None:
            return False
        if on_mid is not None:
            on_mid(mid)
        future: asyncio.Future[int] = self._loop.create_future()
        self.acks[mid] = future
        try:
            reason_code = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            return False
        finally:
            self.acks.pop(mid, None)
        # "No matching subscribers" still means the broker took it (a retained message is kept).
        return reason_code < 0x80

    def stop(self) -> None:
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()

    # -- paho thread -> event loop --------------------------------------------------------
    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _paho_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker %s:%s refused the connection: %s", self.host, self.port, reason)
            if self._auto_protocol and self.protocol == "5" and reason == _UNSUPPORTED_PROTOCOL:
                self._fall_back_to_311(client)
            return
        # A copy: the event loop may add a subscription while paho's thread runs this.
        for topic, qos in list(self._subscriptions.items()):
            client.subscribe(topic, qos=qos)
        self._call(self._connected_on_loop)

    def _paho_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._next_address(client)
        self._call(self._disconnected_on_loop, str(reason))

    def _paho_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        log.warning("broker %s:%s not reachable", self.host, self.port)
        self._next_address(client)

    def _next_address(self, client: mqtt.Client) -> None:
        """Point paho's next reconnect at the next broker node (paho's thread, socket closed)."""
        if self._retry_same_node:
            # The node refused MQTT 5 only: ask it again, in MQTT 3.1.1.
            self._retry_same_node = False
            return
        if len(self.addresses) < 2 or self._stopping:
            return
        index = (self._index + 1) % len(self.addresses)
        host, port = self.addresses[index]
        if client.is_connected():
            return
        # paho's own host/port setters refuse while its state is "connection lost", which is
        # exactly when this runs (socket closed, reconnect() not yet called); reconnect()
        # reads these two attributes.
        client._host = host
        client._port = port
        if index != 0:
            # Within a round of the nodes the next one is tried after the shortest delay;
            # paho's doubling backoff only grows over rounds in which every node failed.
            client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._index, self.host, self.port = index, host, port
        self.failovers += 1
        log.info("next broker node: %s:%s", host, port)

    def _fall_back_to_311(self, client: mqtt.Client) -> None:
        # paho fixes the protocol when the client is made; these are the attributes its
        # CONNECT reads. A 3.1.1 session is a clean one, as the MQTT 5 session was.
        log.warning("broker %s:%s does not speak MQTT 5; using MQTT 3.1.1", self.host, self.port)
        client._protocol = mqtt.MQTTv311
        client._clean_session = True
        self.protocol = "3.1.1"
        self._retry_same_node = True

    def _paho_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        # MQTT 5 PUBACK reason code; 0 (success) when the broker sent none.
        code = int(getattr(reason, "value", 0) or 0)
        self._call(self._ack_on_loop, mid, code)

    def _paho_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._call(self._message_on_loop, message.topic, bytes(message.payload))

    # -- event loop -----------------------------------------------------------------------
    def _connected_on_loop(self) -> None:
        if not self._connected:
            log.info("connected to broker %s:%s", self.host, self.port)
        self._connected = True
        if self._on_connected:
            self._on_connected()

    def _disconnected_on_loop(self, reason: str) -> None:
        if self._connected and not self._stopping:
            log.error("lost broker %s:%s (%s); spooling", self.host, self.port, reason)
        self._connected = False
        if self._on_disconnected:
            self._on_disconnected()

    def _ack_on_loop(self, mid: int, reason_code: int) -> None:
        future = self.acks.get(mid)
        if future is not None and not future.done():
            future.set_result(reason_code)
        if self._on_ack:
            self._on_ack(mid, reason_code)

    def _message_on_loop(self, topic: str, payload: bytes) -> None:
        if self._on_message:
            self._on_message(topic, payload)
