"""A bench multimeter with a temperature input, answering SCPI over TCP (raw socket, LF)."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from firmware_bridge.codecs import scpi
from firmware_bridge.faults import Fault, FaultPlan
from firmware_bridge.simulators.line_server import LineProtocolSimulator

__all__ = ["MultimeterModel", "ScpiSimulator", "header_matches"]

ERROR_QUEUE_DEPTH = 20


def header_matches(pattern: str, header: str) -> bool:
    """SCPI header matching: each node in short (upper-case part) or long form; ``[...]`` optional.

    ``header_matches("MEASure:VOLTage[:DC]?", "meas:volt?")`` is True.
    """
    regex = ""
    for optional, node in re.findall(r"(\[?):?([A-Za-z*]+)\]?", pattern.rstrip("?")):
        short = "".join(ch for ch in node if ch.isupper() or ch == "*")
        long_rest = node[len(short) :].upper()
        alternatives = re.escape(short)
        if long_rest:
            alternatives = f"{re.escape(short)}(?:{re.escape(long_rest)})?"
        part = (":" if regex or optional else ":?") + f"(?:{alternatives})"
        regex += f"(?:{part})?" if optional else part
    if pattern.endswith("?"):
        regex += r"\?"
    # Long forms must be complete: "VOLTA" is neither VOLT nor VOLTAGE.
    return re.fullmatch(regex, header.strip().upper()) is not None


@dataclass
class MultimeterModel:
    manufacturer: str = "Keysight Technologies"
    model: str = "34465A"
    serial_number: str = "MY59012345"
    firmware: str = "A.03.01-02.40-03.01-00.52-02-01"
    dc_volts: float = 1.2345
    temperature_degc: float = 23.5
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def volts_now(self) -> float:
        return self.dc_volts + 0.0005 * math.sin(self.clock())

    def temperature_now(self) -> float:
        return self.temperature_degc + 0.05 * math.sin(self.clock() / 10.0)


class ScpiSimulator(LineProtocolSimulator):
    """``*IDN?``, ``*RST``, ``*CLS``, ``MEAS:VOLT:DC?``, ``MEAS:TEMP?``, ``SYST:ERR?``.

    An unknown header queues ``-113,"Undefined header"`` and sends no reply, as real
    instruments do; the controller finds out by reading ``SYST:ERR?``.
    """

    terminator = scpi.TERMINATOR

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: MultimeterModel | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(host=host, port=port, faults=faults)
        self.model = model or MultimeterModel()
        self.error_queue: deque[scpi.ScpiError] = deque()

    def push_error(self, code: int, message: str) -> None:
        if len(self.error_queue) >= ERROR_QUEUE_DEPTH - 1:
            # IEEE 488.2: the last slot reports that the queue overflowed.
            if not self.error_queue or self.error_queue[-1].code != -350:
                self.error_queue.append(scpi.ScpiError(-350, "Queue overflow"))
            return
        self.error_queue.append(scpi.ScpiError(code, message))

    def _measurement(self, value: float) -> bytes:
        if self.faults.is_active(Fault.OVERLOAD):
            return scpi.encode_number(math.inf)
        return scpi.encode_number(value)

    async def respond(self, command: str, writer: asyncio.StreamWriter) -> bytes | None:
        replies: list[bytes] = []
        # Several commands may share one line, separated by semicolons.
        for part in (p.strip() for p in command.split(";")):
            if not part:
                continue
            reply = self._one(part)
            if reply is not None:
                replies.append(reply.removesuffix(scpi.TERMINATOR))
        if not replies:
            return None
        return b";".join(replies) + scpi.TERMINATOR

    def _one(self, command: str) -> bytes | None:
        header = command.split(" ", 1)[0]
        if header_matches("*IDN?", header):
            identity = scpi.Identity(
                self.model.manufacturer,
                self.model.model,
                self.model.serial_number,
                self.model.firmware,
            )
            return scpi.encode_identity(identity)
        if header_matches("*RST", header):
            return None
        if header_matches("*CLS", header):
            self.error_queue.clear()
            return None
        if header_matches("MEASure:VOLTage[:DC]?", header):
            return self._measurement(self.model.volts_now())
        if header_matches("MEASure:TEMPerature?", header):
            return self._measurement(self.model.temperature_now())
        if header_matches("SYSTem:ERRor[:NEXT]?", header):
            error = (
                self.error_queue.popleft() if self.error_queue else scpi.ScpiError(0, "No error")
            )
            return scpi.encode_error(error)
        self.push_error(-113, "Undefined header")
        return None
