"""Readings published as plain JSON on a local MQTT broker.

Payload: ``{"value": 12.3456, "unit": "g", "stable": true, "ts_ms": 1764270000000,
"quality": "ok"}``; ``value`` is null when quality is not ``ok``. paho-mqtt runs its network
loop in its own thread and reconnects by itself; ``accept`` only queues the publish.
"""

from __future__ import annotations

import json
import logging
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from firmware_bridge.config import MqttExposureConfig
from firmware_bridge.readings import Reading

__all__ = ["MqttExposure", "encode_reading"]

log = logging.getLogger(__name__)


def encode_reading(reading: Reading) -> bytes:
    payload = {
        "value": reading.value,
        "unit": reading.unit,
        "stable": reading.stable,
        "ts_ms": reading.ts_ms,
        "quality": reading.quality.value,
    }
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


class MqttExposure:
    def __init__(self, config: MqttExposureConfig, topics: dict[tuple[str, str], str]) -> None:
        """``topics`` maps (instrument key, point key) to the topic of that point."""
        self.config = config
        self._topics = dict(topics)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=mqtt.MQTTv311,
        )
        if config.username:
            self._client.username_pw_set(config.username, config.password())
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: object,
        properties: object,
    ) -> None:
        log.info("connected to MQTT broker %s:%d (%s)", self.config.host, self.config.port, reason)
        self.connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: object,
        properties: object,
    ) -> None:
        if self.connected.is_set():
            log.warning("lost MQTT broker %s:%d (%s)", self.config.host, self.config.port, reason)
        self.connected.clear()

    def accept(self, reading: Reading) -> None:
        topic = self._topics.get((reading.instrument, reading.point))
        if topic is None:
            return
        # paho queues QoS 1 messages while disconnected and sends them after reconnecting.
        self._client.publish(topic, encode_reading(reading), qos=self.config.qos)

    async def start(self) -> None:
        self._client.connect_async(self.config.host, self.config.port, keepalive=30)
        self._client.loop_start()

    async def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
