"""A pH meter that publishes its readings as JSON to an MQTT broker (like a networked benchtop meter).

Each reading is one message on ``topic``::

    {"value": 7.012, "unit": "pH", "temperature": 24.8, "temperature_unit": "degC",
     "stable": true, "ts_ms": 1764270000000}

Faults: ``overload`` sends a pH outside 0..14 (electrode out of range), ``garbage`` sends one
payload that is not JSON, ``drop`` disconnects abruptly (no DISCONNECT packet, so the broker
sees a lost client) and reconnects, ``slow`` stretches the publish interval by ``slow_reply_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from firmware_bridge.faults import Fault, FaultPlan
from firmware_bridge.readings import now_ms
from firmware_bridge.simulators.line_server import GARBAGE_FRAME

__all__ = ["PhMeterModel", "PhMeterSimulator"]


@dataclass
class PhMeterModel:
    ph: float = 7.00
    temperature_degc: float = 25.0
    rng: random.Random = field(default_factory=lambda: random.Random(11), repr=False)

    def sample(self) -> tuple[float, float]:
        wave = 0.02 * math.sin(time.monotonic() / 30.0)
        ph = self.ph + wave + self.rng.gauss(0.0, 0.003)
        temperature = self.temperature_degc + self.rng.gauss(0.0, 0.02)
        return round(ph, 3), round(temperature, 2)


class PhMeterSimulator:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        topic: str = "lab/ph-1/reading",
        interval_s: float = 1.0,
        client_id: str = "ph-meter-sim",
        model: PhMeterModel | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.topic = topic
        self.interval_s = interval_s
        self.model = model or PhMeterModel()
        self.faults = faults or FaultPlan()
        self.published = 0
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self._task: asyncio.Task[None] | None = None

    def inject(self, fault: Fault) -> None:
        self.faults.inject(fault)

    def clear(self, fault: Fault | None = None) -> None:
        self.faults.clear(fault)

    def payload(self) -> bytes:
        ph, temperature = self.model.sample()
        if self.faults.is_active(Fault.OVERLOAD):
            ph = 14.9
        document = {
            "value": ph,
            "unit": "pH",
            "temperature": temperature,
            "temperature_unit": "degC",
            "stable": True,
            "ts_ms": now_ms(),
        }
        return json.dumps(document, separators=(",", ":")).encode()

    async def _publish_loop(self) -> None:
        while True:
            if self.faults.take(Fault.DROP):
                # Close the socket under paho's feet: the broker sees an unclean loss.
                sock = self._client.socket()
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
            elif self.faults.take(Fault.GARBAGE):
                self._client.publish(self.topic, GARBAGE_FRAME, qos=1)
                self.published += 1
            else:
                self._client.publish(self.topic, self.payload(), qos=1)
                self.published += 1
            delay = self.interval_s
            if self.faults.is_active(Fault.SLOW):
                delay += self.faults.slow_reply_s
            await asyncio.sleep(delay)

    async def start(self) -> None:
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        self._task = asyncio.create_task(self._publish_loop(), name="ph-meter-publish")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._client.disconnect()
        self._client.loop_stop()

    async def serve(self) -> None:
        if self._task is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()
