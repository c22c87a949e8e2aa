"""An analytical balance answering MT-SICS over TCP (like a Mettler Toledo with an Ethernet option)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from firmware_bridge.codecs import mtsics
from firmware_bridge.codecs.mtsics import Command, GeneralError, ReplyStatus
from firmware_bridge.faults import Fault, FaultPlan
from firmware_bridge.simulators.line_server import LineProtocolSimulator

__all__ = ["BalanceModel", "BalanceSimulator"]


@dataclass
class BalanceModel:
    """Load on the pan, zero offset, and how long a new load takes to settle."""

    capacity_g: float = 220.0
    decimals: int = 4
    unit: str = "g"
    serial_number: str = "B944012345"
    settle_s: float = 1.5
    noise_g: float = 0.0002
    load_g: float = 0.0
    zero_offset_g: float = 0.0
    _settled_at: float = 0.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    rng: random.Random = field(default_factory=lambda: random.Random(7), repr=False)

    def place(self, load_g: float) -> None:
        """Put a load on the pan; the reading is dynamic until it settles."""
        self.load_g = load_g
        self._settled_at = self.clock() + self.settle_s

    @property
    def stable(self) -> bool:
        return self.clock() >= self._settled_at

    @property
    def seconds_to_stable(self) -> float:
        return max(0.0, self._settled_at - self.clock())

    @property
    def net_g(self) -> float:
        jitter = self.rng.gauss(0.0, self.noise_g * (1 if self.stable else 50))
        return self.load_g - self.zero_offset_g + jitter

    def overloaded(self) -> bool:
        return self.load_g > self.capacity_g

    def underloaded(self) -> bool:
        # A pan lifted off reads well below zero.
        return self.load_g - self.zero_offset_g < -0.1 * self.capacity_g


class BalanceSimulator(LineProtocolSimulator):
    """MT-SICS level 0/1: S, SI, SIR, Z, @, I4; anything else is answered ``ES``."""

    terminator = mtsics.TERMINATOR

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: BalanceModel | None = None,
        faults: FaultPlan | None = None,
        stable_timeout_s: float = 3.0,
        repeat_interval_s: float = 0.2,
    ) -> None:
        super().__init__(host=host, port=port, faults=faults)
        self.model = model or BalanceModel()
        self.stable_timeout_s = stable_timeout_s
        self.repeat_interval_s = repeat_interval_s
        self._repeaters: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}

    def _weight(self, stable_only: bool) -> bytes:
        if self.faults.is_active(Fault.OVERLOAD) or self.model.overloaded():
            return mtsics.encode_status("S", ReplyStatus.OVERLOAD)
        if self.model.underloaded():
            return mtsics.encode_status("S", ReplyStatus.UNDERLOAD)
        stable = self.model.stable
        if stable_only and not stable:
            return mtsics.encode_status("S", ReplyStatus.NOT_EXECUTABLE)
        return mtsics.encode_weight(
            "S", stable, self.model.net_g, self.model.unit, self.model.decimals
        )

    async def _repeat(self, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while not writer.is_closing():
                writer.write(self._weight(stable_only=False))
                await writer.drain()
                await asyncio.sleep(self.repeat_interval_s)

    def _stop_repeat(self, writer: asyncio.StreamWriter) -> None:
        task = self._repeaters.pop(writer, None)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        for task in self._repeaters.values():
            task.cancel()
        if self._repeaters:
            await asyncio.gather(*self._repeaters.values(), return_exceptions=True)
        self._repeaters.clear()
        await super().stop()

    async def respond(self, command: str, writer: asyncio.StreamWriter) -> bytes | None:
        # Any new command ends an SIR stream, as on the real balance.
        self._stop_repeat(writer)
        if command == Command.STABLE_WEIGHT:
            wait = self.model.seconds_to_stable
            if wait > self.stable_timeout_s:
                return mtsics.encode_status("S", ReplyStatus.NOT_EXECUTABLE)
            await asyncio.sleep(wait)
            return self._weight(stable_only=True)
        if command == Command.IMMEDIATE_WEIGHT:
            return self._weight(stable_only=False)
        if command == Command.REPEAT_IMMEDIATE:
            self._repeaters[writer] = asyncio.create_task(self._repeat(writer))
            return None
        if command == Command.ZERO:
            if not self.model.stable:
                return mtsics.encode_status("Z", ReplyStatus.NOT_EXECUTABLE)
            if self.model.overloaded():
                return mtsics.encode_status("Z", ReplyStatus.OVERLOAD)
            self.model.zero_offset_g = self.model.load_g
            return mtsics.encode_status("Z", ReplyStatus.DONE)
        if command == Command.RESET:
            return mtsics.encode_text("I4", self.model.serial_number)
        if command == Command.SERIAL_NUMBER:
            return mtsics.encode_text("I4", self.model.serial_number)
        return mtsics.encode_error(GeneralError.SYNTAX)
