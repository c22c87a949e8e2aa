"""MQTT side: the bridge publishing readings as JSON, and the pH meter simulator."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from firmware_bridge.bridge import Bridge
from firmware_bridge.config import parse_config
from firmware_bridge.faults import Fault
from firmware_bridge.simulators.balance import BalanceSimulator
from firmware_bridge.simulators.ph import PhMeterSimulator
from tests.harness import MosquittoBroker
from tests.harness.bridge import eventually


class Subscriber:
    def __init__(self, broker: MosquittoBroker, topic: str) -> None:
        self.messages: list[bytes] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-sub-{topic}")
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self._subscribed.wait(5), "subscription not acknowledged"

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(bytes(message.payload))

    def snapshot(self) -> list[bytes]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def test_bridge_publishes_weight_as_json(
    mosquitto: MosquittoBroker, balance: BalanceSimulator
) -> None:
    subscriber = Subscriber(mosquitto, "lab/balance-1/weight")
    config = parse_config(
        {
            "mqtt": {"host": mosquitto.host, "port": mosquitto.port, "client_id": "bridge-test"},
            "instruments": [
                {
                    "key": "balance-1",
                    "protocol": "mt_sics",
                    "transport": {"kind": "tcp", "host": "127.0.0.1", "port": balance.port},
                    "poll_interval_s": 0.05,
                    "points": [
                        {
                            "key": "weight",
                            "query": "SI",
                            "unit": "g",
                            "topic": "lab/balance-1/weight",
                        }
                    ],
                }
            ],
        }
    )
    balance.model.place(42.4242)
    bridge = Bridge(config)
    await bridge.start()
    try:
        await eventually(lambda: len(subscriber.snapshot()) >= 2, message="two messages")
        balance.inject(Fault.OVERLOAD)
        await eventually(
            lambda: json.loads(subscriber.snapshot()[-1])["quality"] == "out_of_range",
            message="overload published",
        )
    finally:
        await bridge.stop()
        subscriber.close()
    first = json.loads(subscriber.snapshot()[0])
    assert first["value"] == pytest.approx(42.4242)
    assert first["unit"] == "g"
    assert first["stable"] is True
    assert first["quality"] == "ok"
    assert isinstance(first["ts_ms"], int)
    overload = json.loads(subscriber.snapshot()[-1])
    assert overload["value"] is None


async def test_ph_meter_publishes_readings_and_faults(mosquitto: MosquittoBroker) -> None:
    subscriber = Subscriber(mosquitto, "lab/ph-1/reading")
    meter = PhMeterSimulator(
        host=mosquitto.host, port=mosquitto.port, topic="lab/ph-1/reading", interval_s=0.05
    )
    await meter.start()
    try:
        await eventually(lambda: len(subscriber.snapshot()) >= 3, message="pH readings")
        meter.inject(Fault.GARBAGE)
        meter.inject(Fault.OVERLOAD)
        count = len(subscriber.snapshot())
        await eventually(lambda: len(subscriber.snapshot()) >= count + 3)
    finally:
        await meter.stop()
        subscriber.close()
    messages = subscriber.snapshot()
    reading = json.loads(messages[0])
    assert reading["unit"] == "pH"
    assert 6.5 < reading["value"] < 7.5
    assert reading["temperature_unit"] == "degC"
    assert reading["temperature"] == pytest.approx(25.0, abs=0.5)
    undecodable = 0
    for payload in messages:
        try:
            json.loads(payload)
        except ValueError:
            undecodable += 1
    assert undecodable == 1
    assert json.loads(messages[-1])["value"] > 14.0
