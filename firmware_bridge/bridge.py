"""The bridge process: pollers for every configured instrument feeding the exposures."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from firmware_bridge.adapters.poller import InstrumentPoller
from firmware_bridge.config import BridgeConfig
from firmware_bridge.exposure.modbus import ModbusExposure
from firmware_bridge.exposure.mqtt import MqttExposure
from firmware_bridge.readings import ReadingSink

__all__ = ["Bridge"]

log = logging.getLogger(__name__)


class Bridge:
    def __init__(self, config: BridgeConfig, extra_sinks: Sequence[ReadingSink] = ()) -> None:
        self.config = config
        registers = {
            (i.key, p.key): p.register_address
            for i in config.instruments
            for p in i.points
            if p.register_address is not None
        }
        topics = {
            (i.key, p.key): p.topic
            for i in config.instruments
            for p in i.points
            if p.topic is not None
        }
        self.modbus: ModbusExposure | None = None
        self.mqtt: MqttExposure | None = None
        sinks: list[ReadingSink] = list(extra_sinks)
        if config.modbus is not None and registers:
            self.modbus = ModbusExposure(
                registers,
                host=config.modbus.host,
                port=config.modbus.port,
                device_id=config.modbus.device_id,
            )
            sinks.append(self.modbus)
        if config.mqtt is not None and topics:
            self.mqtt = MqttExposure(config.mqtt, topics)
            sinks.append(self.mqtt)
        self.pollers = [InstrumentPoller(instrument, sinks) for instrument in config.instruments]
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.modbus is not None:
            port = await self.modbus.start()
            log.info("exposing readings as Modbus holding registers on port %d", port)
        if self.mqtt is not None:
            await self.mqtt.start()
        self._tasks = [
            asyncio.create_task(poller.run(), name=f"poll-{poller.config.key}")
            for poller in self.pollers
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            # A cancellation can be lost inside a library's own timeout handling; keep
            # asking until the poller has really ended rather than hang the shutdown.
            while not task.done():
                await asyncio.wait({task}, timeout=0.5)
                if not task.done():
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.mqtt is not None:
            await self.mqtt.stop()
        if self.modbus is not None:
            await self.modbus.stop()

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        """The running pollers (they only end by cancellation or a bug)."""
        return list(self._tasks)

    async def run_forever(self) -> None:
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()
