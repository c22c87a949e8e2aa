"""What every subscription-based device source shares (OPC UA, SiLA 2): one session at a time,
reconnected with backoff when it ends, and its points reported ``comm_fail`` once when it is lost.

A subclass implements :meth:`SessionSource._session` (connect, subscribe, watch the server until
it fails; it counts ``sessions`` once subscribed), :meth:`SessionSource._address` (where the
device is, for the health error) and :meth:`SessionSource._prepared_points`.

Backoff: the first retry waits up to 1 s (never more than ``reconnect_max_s``), each further
failure doubles the wait up to ``reconnect_max_s``, and every wait is jittered to 50-100 % so
that gateways restarted together do not reconnect in step. A session that got as far as
subscribing resets the backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Iterable

from edge_agent.clock import Clock
from edge_agent.poller import DeviceHealth, PreparedPoint, Reading, ReadingSink
from mqtt_contract.v1 import Quality

__all__ = ["SessionSource"]


class SessionSource(ABC):
    def __init__(
        self,
        device_key: str,
        reconnect_max_s: float,
        sink: ReadingSink,
        clock: Clock,
        log: logging.Logger,
        rng: random.Random | None = None,
    ) -> None:
        self.sink = sink
        self.clock = clock
        self.health = DeviceHealth(device=device_key, status="failing", error="not connected yet")
        self.sessions = 0
        """Subscriptions created (1 + reconnects)."""
        self._device_key = device_key
        self._reconnect_max_s = reconnect_max_s
        self._log = log
        self._rng = rng or random.Random()

    @abstractmethod
    async def _session(self) -> None:
        """One session: returns or raises when it ends."""

    @abstractmethod
    def _address(self) -> str:
        """Where the device is (endpoint, host:port or discovery name)."""

    @abstractmethod
    def _prepared_points(self) -> Iterable[tuple[str, PreparedPoint]]:
        """Every point this source publishes, with its reporting state."""

    async def _reconnecting(self) -> None:
        first = min(1.0, self._reconnect_max_s)
        delay = first
        while True:
            before = self.sessions
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure ends the session; the loop reconnects
                self._lost(exc)
            if self.sessions > before:  # it was connected: start the backoff afresh
                delay = first
            await asyncio.sleep(delay * self._rng.uniform(0.5, 1.0))
            delay = min(self._reconnect_max_s, delay * 2)

    def _lost(self, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self.health.failures += 1
        self.health.error = f"{self._address()}: {reason}"
        if self.health.status == "ok" or self.health.failures == 1:
            self._log.error("device %s: %s", self._device_key, self.health.error)
        self.health.status = "failing"
        ts_ms = self.clock.wall_ms()
        readings = [
            Reading(
                device=self._device_key,
                point=key,
                unit=prepared.unit,
                ts_ms=ts_ms,
                value=None,
                quality=Quality.COMM_FAIL,
            )
            for key, prepared in self._prepared_points()
            if prepared.should_report(ts_ms, None, Quality.COMM_FAIL)
        ]
        if readings:
            self.sink.submit(readings)
