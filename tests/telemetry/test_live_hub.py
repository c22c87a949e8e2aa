"""The live hub's broker connection: it finds a broker that comes late, survives a broker
restart, and a stream gets readings again afterwards (Mosquitto as a real process)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import paho.mqtt.publish as publish

from server.telemetry.live import LIVE_READINGS_TOPIC, LiveFilter, LiveHub
from tests.harness import MosquittoBroker


def _publish_reading(broker: MosquittoBroker, channel_id: int, value: float) -> None:
    payload = json.dumps({"r": [[channel_id, 1_700_000_000_000, value, 0]]})
    publish.single(LIVE_READINGS_TOPIC, payload, hostname=broker.host, port=broker.port)


async def _next_reading(hub: LiveHub, channel_id: int, send: Callable[[], None]) -> float:
    sub = hub.subscribe(LiveFilter(channel_ids=frozenset({channel_id}), instrument_ids=frozenset()))
    try:
        await asyncio.to_thread(send)
        event, data = await asyncio.wait_for(sub.queue.get(), 10)
        assert event == "readings"
        return float(data["readings"][0]["value"])  # type: ignore[index]
    finally:
        hub.unsubscribe(sub)


async def test_hub_connects_to_a_broker_that_starts_later_and_reconnects_after_a_restart(
    mosquitto_factory: Callable[..., MosquittoBroker],
) -> None:
    broker = mosquitto_factory()
    broker.stop()
    hub = LiveHub(broker.host, broker.port)
    await hub.start()
    try:
        assert not hub.connected.is_set()
        broker.start()
        await hub.wait_connected(15)
        assert await _next_reading(hub, 7, lambda: _publish_reading(broker, 7, 1.5)) == 1.5

        broker.stop()
        await asyncio.sleep(0.5)
        assert not hub.connected.is_set()
        broker.start()
        await hub.wait_connected(15)
        assert await _next_reading(hub, 7, lambda: _publish_reading(broker, 7, 2.5)) == 2.5
    finally:
        await hub.stop()
    assert not hub.connected.is_set()
