"""SCPI (IEEE 488.2) replies of bench multimeters and thermometers, LF-terminated.

Numbers come as NR1 (integer), NR2 (fixed point) or NR3 (exponent). SCPI reserves
``9.9E37`` for "overflow / out of range" (``-9.9E37`` below range) and ``9.91E37`` for
"not a number"; they are reported as such, never as a huge reading. ``SYST:ERR?`` pops the
oldest entry of the error queue: ``<code>,"<message>"``, ``0,"No error"`` once it is empty.

The IEEE 488.2 status model is described by :class:`StatusByte` (``*STB?``, ``*SRE``) and
:class:`EventStatus` (``*ESR?``, ``*ESE``); :func:`error_event` says which event-status bit an
error-queue code sets (SCPI-99 error classes).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import IntFlag, StrEnum

from firmware_bridge.codecs.framing import FrameError

__all__ = [
    "NOT_A_NUMBER",
    "NO_ERROR",
    "OVERFLOW",
    "TERMINATOR",
    "EventStatus",
    "Identity",
    "NumberKind",
    "ScpiError",
    "ScpiNumber",
    "StatusByte",
    "decode_error",
    "decode_identity",
    "decode_integer",
    "decode_number",
    "encode_command",
    "encode_error",
    "encode_identity",
    "encode_number",
    "error_event",
]

TERMINATOR = b"\n"
OVERFLOW = 9.9e37
NOT_A_NUMBER = 9.91e37

_NR1 = re.compile(r"^[+-]?\d+$")
_NR2 = re.compile(r"^[+-]?(\d+\.\d*|\.\d+)$")
_NR3 = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
_ERROR = re.compile(r'^([+-]?\d+),"(.*)"$')


class StatusByte(IntFlag):
    """IEEE 488.2 status byte (``*STB?``) with the SCPI bit assignments."""

    #: Bit 2: the error/event queue is not empty (SCPI).
    EAV = 1 << 2
    #: Bit 3: questionable-status summary (SCPI).
    QUES = 1 << 3
    #: Bit 4: message available, a reply waits in the output queue.
    MAV = 1 << 4
    #: Bit 5: event-status bit, ``*ESR & *ESE`` is not zero.
    ESB = 1 << 5
    #: Bit 6: master summary status (``*STB?``) / request service (serial poll).
    MSS = 1 << 6
    #: Bit 7: operation-status summary (SCPI).
    OPER = 1 << 7


class EventStatus(IntFlag):
    """IEEE 488.2 standard event status register (``*ESR?``), enabled by ``*ESE``."""

    OPC = 1 << 0  # operation complete, set by *OPC
    RQC = 1 << 1  # request control
    QYE = 1 << 2  # query error (-400 class)
    DDE = 1 << 3  # device-dependent error (-300 class, positive codes)
    EXE = 1 << 4  # execution error (-200 class)
    CME = 1 << 5  # command error (-100 class)
    URQ = 1 << 6  # user request
    PON = 1 << 7  # power on


def error_event(code: int) -> EventStatus:
    """The event-status bit an error-queue entry sets (none for ``0``)."""
    if code == 0:
        return EventStatus(0)
    if -199 <= code <= -100:
        return EventStatus.CME
    if -299 <= code <= -200:
        return EventStatus.EXE
    if -499 <= code <= -400:
        return EventStatus.QYE
    return EventStatus.DDE


class NumberKind(StrEnum):
    NR1 = "NR1"
    NR2 = "NR2"
    NR3 = "NR3"


@dataclass(frozen=True, slots=True)
class ScpiNumber:
    value: float
    kind: NumberKind

    @property
    def overflow(self) -> bool:
        """Out of range: the instrument sent +/-9.9E37."""
        return math.isinf(self.value)

    @property
    def not_a_number(self) -> bool:
        return math.isnan(self.value)

    @property
    def valid(self) -> bool:
        return math.isfinite(self.value)


@dataclass(frozen=True, slots=True)
class Identity:
    """``*IDN?``: manufacturer, model, serial number, firmware."""

    manufacturer: str
    model: str
    serial_number: str
    firmware: str


@dataclass(frozen=True, slots=True)
class ScpiError:
    code: int
    message: str

    @property
    def is_error(self) -> bool:
        return self.code != 0

    def __str__(self) -> str:
        return f'{self.code},"{self.message}"'


NO_ERROR = ScpiError(0, "No error")


def _text(frame: bytes) -> str:
    line = frame.removesuffix(TERMINATOR).removesuffix(b"\r")
    if not line:
        raise FrameError("empty reply", frame)
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FrameError("reply is not ASCII", frame) from exc
    if not text.isprintable():
        raise FrameError("reply contains control characters", frame)
    return text


def encode_command(command: str) -> bytes:
    if not command or not command.isascii() or "\n" in command or "\r" in command:
        raise ValueError(f"SCPI commands are single non-empty ASCII lines: {command!r}")
    return command.encode("ascii") + TERMINATOR


def decode_number(frame: bytes) -> ScpiNumber:
    text = _text(frame).strip()
    if _NR1.match(text):
        kind = NumberKind.NR1
    elif _NR2.match(text):
        kind = NumberKind.NR2
    elif _NR3.match(text):
        kind = NumberKind.NR3
    else:
        raise FrameError(f"not an NR1/NR2/NR3 number: {text!r}", frame)
    value = float(text)
    if math.isclose(abs(value), NOT_A_NUMBER, rel_tol=1e-6):
        value = math.nan
    elif math.isclose(abs(value), OVERFLOW, rel_tol=1e-6):
        value = math.copysign(math.inf, value)
    elif not math.isfinite(value):
        raise FrameError(f"number out of double range: {text!r}", frame)
    return ScpiNumber(value=value, kind=kind)


def decode_integer(frame: bytes) -> int:
    """An NR1 reply such as ``*ESR?``, ``*STB?`` or ``*OPC?`` answer."""
    text = _text(frame).strip()
    if not _NR1.match(text):
        raise FrameError(f"not an NR1 integer: {text!r}", frame)
    return int(text)


def decode_identity(frame: bytes) -> Identity:
    fields = [field.strip() for field in _text(frame).split(",")]
    if len(fields) != 4 or not fields[0] or not fields[1]:
        raise FrameError("*IDN? reply must be manufacturer,model,serial,firmware", frame)
    return Identity(*fields)


def decode_error(frame: bytes) -> ScpiError:
    match = _ERROR.match(_text(frame).strip())
    if match is None:
        raise FrameError('error queue entry must be <code>,"<message>"', frame)
    return ScpiError(code=int(match.group(1)), message=match.group(2))


def encode_number(value: float) -> bytes:
    """NR3 as bench multimeters send it; infinities become the SCPI overflow value."""
    if math.isnan(value):
        value = NOT_A_NUMBER
    elif math.isinf(value):
        value = math.copysign(OVERFLOW, value)
    return f"{value:+.9E}".encode("ascii") + TERMINATOR


def encode_identity(identity: Identity) -> bytes:
    fields = (identity.manufacturer, identity.model, identity.serial_number, identity.firmware)
    return ",".join(fields).encode("ascii") + TERMINATOR


def encode_error(error: ScpiError) -> bytes:
    """``-113,"Undefined header"``; ``0,"No error"`` (no sign, as SCPI-99 writes it)."""
    return f'{error.code:d},"{error.message}"'.encode("ascii") + TERMINATOR
