"""SiLA 2 instruments: observable properties subscribed as telemetry.

One task per device connects (at ``host``/``port``, or by SiLA Server Discovery with
``server_name``), reads the features the server implements, and subscribes to each point's
observable property. The sila2 client works in threads: values are handed to the event loop
with ``call_soon_threadsafe`` and converted there, so the spool is only touched from the loop.
The task probes the server every ``watchdog_s``; when it stops answering, or a subscription
ends, the points are reported ``comm_fail`` once and the task reconnects with backoff.

Units: a property whose data type carries the SiLA unit constraint (``<Unit><Label>°C``)
is read in that unit when the registry knows its label; a unit of another dimension than
the point's ``unit`` gives ``bad_unit``. SiLA values carry no timestamp: readings are
stamped with the gateway's clock when they arrive.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sila2.client import SilaClient

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import Clock
from edge_agent.poller import PreparedPoint, Reading, ReadingSink
from edge_agent.session_source import SessionSource
from edge_agent.units import LinearConversion, UnitProblem, linear_conversion
from mqtt_contract.gateway_config import SilaDevice, SilaPoint
from mqtt_contract.units import is_known_unit
from mqtt_contract.v1 import Quality

__all__ = ["SilaDeviceSource", "close_client", "run_sila_source", "unit_from_constraints"]

log = logging.getLogger("edge_agent.sila_source")


def unit_from_constraints(data_type: Any) -> str | None:
    """The unit label of a SiLA data type's unit constraint, when the registry knows it."""
    for constraint in getattr(data_type, "constraints", None) or ():
        label = getattr(constraint, "label", None)
        if type(constraint).__name__ == "Unit" and isinstance(label, str):
            return label.strip() if is_known_unit(label.strip()) else None
    return None


@dataclass
class _Item:
    point: SilaPoint
    prepared: PreparedPoint
    conversion: LinearConversion | None


class SilaDeviceSource(SessionSource):
    """Holds one SiLA client with one subscription per point."""

    def __init__(
        self,
        device: SilaDevice,
        sink: ReadingSink,
        clock: Clock,
        calibrations: CalibrationBook,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(device.key, device.reconnect_max_s, sink, clock, log, rng)
        self.device = device
        self.calibrations = calibrations
        self.items = {
            p.key: _Item(p, prepared := PreparedPoint.from_config(p), prepared.conversion)
            for p in device.points
        }
        self.notifications = 0
        # Blocking sila2 calls run in this device's own threads: a server that hangs them
        # (gRPC calls without a deadline) ties up these threads, never another device's.
        self._executor: ThreadPoolExecutor | None = None

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(4, thread_name_prefix=f"sila-{self.device.key}")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def run(self) -> None:
        try:
            await self._reconnecting()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def _address(self) -> str:
        return self.device.server_name or f"{self.device.host}:{self.device.port}"

    def _prepared_points(self) -> Iterable[tuple[str, PreparedPoint]]:
        return ((key, item.prepared) for key, item in self.items.items())

    def _connect(self) -> Any:
        device = self.device
        root = None
        if device.root_certificate is not None:
            with open(device.root_certificate, "rb") as handle:
                root = handle.read()
        if device.server_name is not None:
            return SilaClient.discover(
                server_name=device.server_name,
                timeout=device.timeout_s,
                insecure=device.insecure,
                root_certs=root,
            )
        assert device.host is not None
        assert device.port is not None
        return SilaClient(device.host, device.port, insecure=device.insecure, root_certs=root)

    async def _session(self) -> None:
        timeout = self.device.timeout_s
        client = await asyncio.wait_for(self._call(self._connect), timeout * 2)
        subscriptions: list[Any] = []
        loop = asyncio.get_running_loop()
        try:
            for item in self.items.values():
                prop = getattr(getattr(client, item.point.feature), item.point.property)
                item.conversion = self._server_unit(prop, item)
                subscriptions.append(
                    await self._call(
                        prop.subscribe,
                        callbacks=[
                            lambda value, key=item.point.key: loop.call_soon_threadsafe(
                                self.receive, key, value
                            )
                        ],
                    )
                )
            self.sessions += 1
            if self.health.status != "ok":
                log.warning(
                    "device %s: subscribed (%d properties)", self.device.key, len(self.items)
                )
            self.health.status, self.health.error = "ok", None
            self.health.last_ok_ms = self.clock.wall_ms()
            self.health.failures = 0
            while True:
                await asyncio.sleep(self.device.watchdog_s)
                await asyncio.wait_for(self._call(client.SiLAService.ServerName.get), timeout)
                ended = [s for s in subscriptions if s.is_cancelled]
                if ended:
                    raise ConnectionError("a property subscription ended")
                self.health.polls += 1
                self.health.last_ok_ms = self.clock.wall_ms()
        finally:
            for subscription in subscriptions:
                subscription.cancel()
            await self._call(close_client, client)

    def _server_unit(self, prop: Any, item: _Item) -> LinearConversion | None:
        if not item.point.units_from_server:
            return item.prepared.conversion
        wrapped = getattr(prop, "_wrapped_property", None)
        stated = unit_from_constraints(getattr(wrapped, "data_type", None))
        if stated is None:
            return item.prepared.conversion
        try:
            return linear_conversion(
                stated, item.prepared.unit, item.point.scale, item.point.offset
            )
        except UnitProblem as exc:
            log.error("device %s point %s: %s", self.device.key, item.point.key, exc)
            return None

    def receive(self, key: str, raw: Any) -> Reading | None:
        """Turn one property value into a reading (called on the event loop)."""
        item = self.items[key]
        self.notifications += 1
        self.health.reads += 1
        ts_ms = self.clock.wall_ms()
        number: float | None = None
        if isinstance(raw, bool):
            number = 1.0 if raw else 0.0
        elif isinstance(raw, int | float) and math.isfinite(raw):
            number = float(raw)
        prepared = item.prepared
        value: float | None = None
        correction_id = None
        if item.conversion is None:
            quality = Quality.BAD_UNIT
        else:
            if number is not None:
                value, correction_id = self.calibrations.correct(
                    self.device.key, key, ts_ms, item.conversion(number)
                )
            quality = prepared.quality_of(value)
        if not prepared.should_report(ts_ms, value, quality):
            return None
        reading = Reading(
            device=self.device.key,
            point=key,
            unit=prepared.unit,
            ts_ms=ts_ms,
            value=value,
            quality=quality,
            correction_id=correction_id,
        )
        self.sink.submit([reading])
        return reading


def close_client(client: Any) -> None:
    """Close the channel and the worker threads the sila2 client keeps for subscriptions."""
    client.close()
    executor = getattr(client, "_task_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


async def run_sila_source(source: SilaDeviceSource) -> None:
    """Run a source, surviving unexpected errors so one bug never silences a device for good."""
    while True:
        try:
            await source.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("device %s source crashed; restarting", source.device.key)
            await asyncio.sleep(1.0)
