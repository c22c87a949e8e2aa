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
    """A multimeter with the IEEE 488.2 common commands, SCPI error queue and two measurements.

    Common commands: ``*IDN? *RST *CLS *ESE *ESE? *ESR? *OPC *OPC? *SRE *SRE? *STB? *TST?
    *WAI``. Instrument commands: ``MEASure:VOLTage[:DC]?``, ``MEASure:TEMPerature?``,
    ``SYSTem:ERRor[:NEXT]?``. Several commands may share a line, separated by ``;``; their
    replies come back on one line, also ``;``-separated.

    An unknown header queues ``-113,"Undefined header"``, sets the command-error bit of the
    event status register and sends no reply, as real instruments do; the controller finds
    out from ``*STB?`` / ``*ESR?`` or by reading ``SYST:ERR?``. Every command runs to completion
    before the next (no overlapped commands), so ``*OPC`` sets its bit at once and ``*WAI``
    has nothing to wait for.
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
        # IEEE 488.2: the power-on bit is set when the instrument is switched on.
        self.event_status = scpi.EventStatus.PON
        self.event_enable = scpi.EventStatus(0)
        self.service_request_enable = 0

    def push_error(self, code: int, message: str) -> None:
        """Queue an error and set its event-status bit (the bit is set even if the queue is full)."""
        self.event_status |= scpi.error_event(code)
        if len(self.error_queue) >= ERROR_QUEUE_DEPTH - 1:
            # SCPI-99: when full, the last entry is replaced by -350 and further errors are lost.
            if not self.error_queue or self.error_queue[-1].code != -350:
                self.error_queue.append(scpi.ScpiError(-350, "Queue overflow"))
            return
        self.error_queue.append(scpi.ScpiError(code, message))

    def status_byte(self, message_available: bool = False) -> int:
        """``*STB?``: bit 2 error queue, bit 4 MAV, bit 5 ESB, bit 6 MSS."""
        stb = scpi.StatusByte(0)
        if self.error_queue:
            stb |= scpi.StatusByte.EAV
        if message_available:
            stb |= scpi.StatusByte.MAV
        if self.event_status & self.event_enable:
            stb |= scpi.StatusByte.ESB
        if stb & self.service_request_enable & ~scpi.StatusByte.MSS:
            stb |= scpi.StatusByte.MSS
        return int(stb)

    def _measurement(self, value: float) -> bytes:
        if self.faults.is_active(Fault.OVERLOAD):
            return scpi.encode_number(math.inf)
        return scpi.encode_number(value)

    async def respond(self, command: str, writer: asyncio.StreamWriter) -> bytes | None:
        # The output queue of this program message: replies wait here until the line is done.
        replies: list[bytes] = []
        indefinite = False
        for part in (p.strip() for p in command.split(";")):
            if not part:
                continue
            header = part.split(" ", 1)[0]
            if indefinite and header.endswith("?"):
                # IEEE 488.2: an arbitrary-ASCII reply (*IDN?) must end the response message.
                self.push_error(-440, "Query UNTERMINATED after indefinite response")
                continue
            reply = self._one(part, message_available=bool(replies))
            if reply is not None:
                replies.append(reply.removesuffix(scpi.TERMINATOR))
                indefinite = header_matches("*IDN?", header)
        if not replies:
            return None
        return b";".join(replies) + scpi.TERMINATOR

    def _byte_parameter(self, argument: str) -> int | None:
        """The 0-255 value of ``*ESE``/``*SRE``; queues the error and returns None if bad."""
        if not argument:
            self.push_error(-109, "Missing parameter")
            return None
        try:
            value = round(float(argument))
        except (ValueError, OverflowError):
            self.push_error(-104, "Data type error")
            return None
        if not 0 <= value <= 255:
            self.push_error(-222, "Data out of range")
            return None
        return value

    def _one(self, command: str, message_available: bool) -> bytes | None:
        header, _, argument = command.partition(" ")
        argument = argument.strip()
        # *ESE/*SRE take a value; MEAS queries accept (and here ignore) range and resolution.
        takes_argument = any(
            header_matches(pattern, header)
            for pattern in ("*ESE", "*SRE", "MEASure:VOLTage[:DC]?", "MEASure:TEMPerature?")
        )
        if argument and not takes_argument:
            if self._known(header):
                self.push_error(-108, "Parameter not allowed")
            else:
                self.push_error(-113, "Undefined header")
            return None
        if header_matches("*IDN?", header):
            identity = scpi.Identity(
                self.model.manufacturer,
                self.model.model,
                self.model.serial_number,
                self.model.firmware,
            )
            return scpi.encode_identity(identity)
        if header_matches("*RST", header):
            # Resets device settings; IEEE 488.2 leaves the status registers and queues alone.
            return None
        if header_matches("*CLS", header):
            self.error_queue.clear()
            self.event_status = scpi.EventStatus(0)
            return None
        if header_matches("*ESE", header):
            value = self._byte_parameter(argument)
            if value is not None:
                self.event_enable = scpi.EventStatus(value)
            return None
        if header_matches("*ESE?", header):
            return _nr1(int(self.event_enable))
        if header_matches("*ESR?", header):
            value = int(self.event_status)
            self.event_status = scpi.EventStatus(0)  # reading clears it
            return _nr1(value)
        if header_matches("*SRE", header):
            value = self._byte_parameter(argument)
            if value is not None:
                self.service_request_enable = value & ~int(scpi.StatusByte.MSS)  # bit 6 ignored
            return None
        if header_matches("*SRE?", header):
            return _nr1(self.service_request_enable)
        if header_matches("*STB?", header):
            return _nr1(self.status_byte(message_available))
        if header_matches("*OPC", header):
            self.event_status |= scpi.EventStatus.OPC
            return None
        if header_matches("*OPC?", header):
            return _nr1(1)
        if header_matches("*WAI", header):
            return None
        if header_matches("*TST?", header):
            return _nr1(0)  # 0: self-test passed
        if header_matches("MEASure:VOLTage[:DC]?", header):
            return self._measurement(self.model.volts_now())
        if header_matches("MEASure:TEMPerature?", header):
            return self._measurement(self.model.temperature_now())
        if header_matches("SYSTem:ERRor[:NEXT]?", header):
            error = self.error_queue.popleft() if self.error_queue else scpi.NO_ERROR
            return scpi.encode_error(error)
        self.push_error(-113, "Undefined header")
        return None

    @staticmethod
    def _known(header: str) -> bool:
        return any(header_matches(pattern, header) for pattern in _HEADERS)


_HEADERS = (
    "*IDN?",
    "*RST",
    "*CLS",
    "*ESE",
    "*ESE?",
    "*ESR?",
    "*SRE",
    "*SRE?",
    "*STB?",
    "*OPC",
    "*OPC?",
    "*WAI",
    "*TST?",
    "MEASure:VOLTage[:DC]?",
    "MEASure:TEMPerature?",
    "SYSTem:ERRor[:NEXT]?",
)


def _nr1(value: int) -> bytes:
    return str(value).encode("ascii") + scpi.TERMINATOR
