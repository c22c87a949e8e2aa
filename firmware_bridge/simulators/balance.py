"""An analytical balance answering MT-SICS over TCP (like a Mettler Toledo with an Ethernet option).

What it implements, and how, follows the MT-SICS reference manual (see docs/firmware-bridge.md):

* ``S`` waits for a stable weight; if none comes within ``stable_timeout_s`` it answers ``S I``.
  It never answers ``S D``.
* ``SI`` answers at once, ``S S`` or ``S D``; ``SIR`` repeats that until another command arrives.
* ``Z`` (waits for stability) and ``ZI`` (at once) set a new zero point and clear the tare;
  outside the zeroing range (+/-2 % of capacity around the power-on zero) they answer ``+``/``-``.
* ``T`` waits for stability and stores the gross weight as tare, answering ``T S <tare> <unit>``;
  ``TA`` reads (``TA A <tare> <unit>``) or presets (``TA <value> <unit>``) the tare memory, ``TAC``
  clears it.
* ``@`` cancels whatever runs (``SIR``), clears the tare and answers ``I4 A "<serial>"``.
* ``I2`` type, capacity and unit; ``I3`` software version; ``I4`` serial number.
* Over capacity ``+``, pan lifted off ``-``; an unknown command ``ES``; characters that are not
  printable ASCII ``ET``; while the ``device-fault`` fault is active every command ``EL``.
"""

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

#: How often a waiting ``S``/``Z``/``T`` looks at the balance again.
_STABILITY_POLL_S = 0.01


@dataclass
class BalanceModel:
    """Load on the pan, zero point, tare memory, and how long a new load takes to settle."""

    capacity_g: float = 220.0
    decimals: int = 4
    unit: str = "g"
    serial_number: str = "B944012345"
    type_name: str = "XSR205DU"
    software: str = "1.20 10.28.0.493.142"
    settle_s: float = 1.5
    noise_g: float = 0.0002
    load_g: float = 0.0
    zero_offset_g: float = 0.0
    tare_g: float = 0.0
    #: Zeroing is allowed within this fraction of the capacity around the power-on zero.
    zero_range: float = 0.02
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
    def gross_g(self) -> float:
        return self.load_g - self.zero_offset_g

    @property
    def net_g(self) -> float:
        jitter = self.rng.gauss(0.0, self.noise_g * (1 if self.stable else 50))
        return self.gross_g - self.tare_g + jitter

    def overloaded(self) -> bool:
        return self.load_g > self.capacity_g

    def underloaded(self) -> bool:
        # A pan lifted off reads well below zero.
        return self.gross_g < -0.1 * self.capacity_g

    def zero_limit_exceeded(self) -> ReplyStatus | None:
        """``+``/``-`` when the current load is outside the zeroing range."""
        limit = self.zero_range * self.capacity_g
        if self.load_g > limit:
            return ReplyStatus.OVERLOAD
        if self.load_g < -limit:
            return ReplyStatus.UNDERLOAD
        return None


class BalanceSimulator(LineProtocolSimulator):
    """MT-SICS: S, SI, SIR, Z, ZI, T, TA, TAC, @, I2, I3, I4; anything else ``ES``."""

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

    # --- helpers -----------------------------------------------------------------------------

    def _range_status(self) -> ReplyStatus | None:
        if self.faults.is_active(Fault.OVERLOAD) or self.model.overloaded():
            return ReplyStatus.OVERLOAD
        if self.model.underloaded():
            return ReplyStatus.UNDERLOAD
        return None

    def _weight(self) -> bytes:
        """The ``SI`` answer: the weight now, stable or dynamic."""
        out_of_range = self._range_status()
        if out_of_range is not None:
            return mtsics.encode_status("S", out_of_range)
        model = self.model
        return mtsics.encode_weight("S", model.stable, model.net_g, model.unit, model.decimals)

    async def _wait_stable(self) -> bool:
        """Wait up to ``stable_timeout_s`` for the balance to settle (as S, Z and T do)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stable_timeout_s
        while not self.model.stable:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(_STABILITY_POLL_S, remaining))
        return True

    async def _repeat(self, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while not writer.is_closing():
                writer.write(self._weight())
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

    # --- commands ----------------------------------------------------------------------------

    async def respond(self, command: str, writer: asyncio.StreamWriter) -> bytes | None:
        # Any new command ends an SIR stream, as on the real balance.
        self._stop_repeat(writer)
        if not command.isascii() or not command.isprintable():
            # Bytes the balance could not take as characters (parity error, line noise).
            return mtsics.encode_error(GeneralError.TRANSMISSION)
        if self.faults.is_active(Fault.DEVICE_FAULT):
            return mtsics.encode_error(GeneralError.LOGICAL)
        name, _, argument = command.partition(" ")
        try:
            known = Command(name)
        except ValueError:
            return mtsics.encode_error(GeneralError.SYNTAX)
        reply_id = mtsics.REPLY_ID.get(known.value, known.value)
        if argument and known is not Command.TARE_VALUE:
            # Understood, but this command takes no parameter.
            return mtsics.encode_status(reply_id, ReplyStatus.LOGICAL_ERROR)
        return await self._execute(known, argument, writer)

    async def _execute(
        self, command: Command, argument: str, writer: asyncio.StreamWriter
    ) -> bytes | None:
        model = self.model
        if command is Command.STABLE_WEIGHT:
            out_of_range = self._range_status()
            if out_of_range is not None:
                return mtsics.encode_status("S", out_of_range)
            if not await self._wait_stable():
                return mtsics.encode_status("S", ReplyStatus.NOT_EXECUTABLE)
            return self._weight()
        if command is Command.IMMEDIATE_WEIGHT:
            return self._weight()
        if command is Command.REPEAT_IMMEDIATE:
            self._repeaters[writer] = asyncio.create_task(self._repeat(writer))
            return None
        if command is Command.ZERO:
            if not await self._wait_stable():
                return mtsics.encode_status("Z", ReplyStatus.NOT_EXECUTABLE)
            return self._zero("Z", ReplyStatus.DONE)
        if command is Command.ZERO_IMMEDIATE:
            done = ReplyStatus.STABLE if model.stable else ReplyStatus.DYNAMIC
            return self._zero("ZI", done)
        if command is Command.TARE:
            if not await self._wait_stable():
                return mtsics.encode_status("T", ReplyStatus.NOT_EXECUTABLE)
            if self._range_status() is ReplyStatus.OVERLOAD or model.gross_g > model.capacity_g:
                return mtsics.encode_status("T", ReplyStatus.OVERLOAD)
            if model.gross_g < 0:
                return mtsics.encode_status("T", ReplyStatus.UNDERLOAD)
            model.tare_g = model.gross_g
            return mtsics.encode_weight("T", True, model.tare_g, model.unit, model.decimals)
        if command is Command.TARE_VALUE:
            return self._tare_value(argument)
        if command is Command.CLEAR_TARE:
            model.tare_g = 0.0
            return mtsics.encode_status("TAC", ReplyStatus.DONE)
        if command is Command.RESET:
            model.tare_g = 0.0
            return mtsics.encode_text("I4", model.serial_number)
        if command is Command.BALANCE_DATA:
            capacity = f"{model.capacity_g:.{model.decimals}f}"
            return mtsics.encode_text("I2", f"{model.type_name} {capacity} {model.unit}")
        if command is Command.SOFTWARE_VERSION:
            return mtsics.encode_text("I3", model.software)
        return mtsics.encode_text("I4", model.serial_number)

    def _zero(self, reply_id: str, done: ReplyStatus) -> bytes:
        beyond = self.model.zero_limit_exceeded()
        if beyond is not None:
            return mtsics.encode_status(reply_id, beyond)
        self.model.zero_offset_g = self.model.load_g
        self.model.tare_g = 0.0
        return mtsics.encode_status(reply_id, done)

    def _tare_value(self, argument: str) -> bytes:
        model = self.model
        if not argument:
            return mtsics.encode_value("TA", model.tare_g, model.unit, model.decimals)
        # Preset: "TA <value> <unit>", the unit being the balance's own.
        parts = argument.split()
        if len(parts) != 2 or parts[1] != model.unit:
            return mtsics.encode_status("TA", ReplyStatus.LOGICAL_ERROR)
        try:
            value = float(parts[0])
        except ValueError:
            return mtsics.encode_status("TA", ReplyStatus.LOGICAL_ERROR)
        if not 0.0 <= value <= model.capacity_g:
            return mtsics.encode_status("TA", ReplyStatus.LOGICAL_ERROR)
        model.tare_g = round(value, model.decimals)
        return mtsics.encode_value("TA", model.tare_g, model.unit, model.decimals)
