"""Mettler Toledo MT-SICS (Standard Interface Command Set), level 0/1 subset.

Commands are upper-case ASCII closed by CR LF. A reply carrying a weight has the form::

    <ID> <status> <weight value> <unit>

where ``status`` is ``S`` (stable) or ``D`` (dynamic, not yet stable), the weight value is a
number with sign and decimal point right-aligned in a 10-character field (leading blanks), and
the unit is the balance's unit as displayed. Replies without a weight are ``<ID> <status>``
with ``A`` (done), ``I`` (not executable now: busy, or no stability within the timeout),
``L`` (logical error, e.g. wrong parameter), ``+`` (overload / upper limit) or ``-``
(underload / lower limit). ``ES`` (syntax error: command unknown), ``ET`` (transmission error)
and ``EL`` (logical error) answer anything the balance could not take.

``S`` sends the next stable weight, ``SI`` the current weight whether stable or not, ``SIR``
repeats ``SI`` until another command arrives, ``Z`` zeroes, ``@`` resets and answers like
``I4`` with the serial number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from firmware_bridge.codecs.framing import FrameError

__all__ = [
    "TERMINATOR",
    "UNITS",
    "Command",
    "GeneralError",
    "MtSicsError",
    "MtSicsReply",
    "ReplyStatus",
    "StatusReply",
    "TextReply",
    "WeightReply",
    "decode_reply",
    "encode_command",
    "encode_error",
    "encode_status",
    "encode_text",
    "encode_weight",
    "format_weight_value",
]

TERMINATOR = b"\r\n"
WEIGHT_FIELD_WIDTH = 10


class Command(StrEnum):
    STABLE_WEIGHT = "S"
    IMMEDIATE_WEIGHT = "SI"
    REPEAT_IMMEDIATE = "SIR"
    ZERO = "Z"
    RESET = "@"
    SERIAL_NUMBER = "I4"


class ReplyStatus(StrEnum):
    STABLE = "S"
    DYNAMIC = "D"
    DONE = "A"
    NOT_EXECUTABLE = "I"
    LOGICAL_ERROR = "L"
    OVERLOAD = "+"
    UNDERLOAD = "-"


class GeneralError(StrEnum):
    SYNTAX = "ES"
    TRANSMISSION = "ET"
    LOGICAL = "EL"


#: MT-SICS unit token -> pint unit string. Anything else in a weight reply is a wrong unit.
UNITS: dict[str, str] = {
    "g": "g",
    "kg": "kg",
    "mg": "mg",
    "ug": "ug",
    "ct": "carat",
    "lb": "lb",
    "oz": "oz",
    "ozt": "troy_ounce",
    "dwt": "pennyweight",
}

_WEIGHT_VALUE = re.compile(r"^-?(\d+\.\d*|\d*\.\d+|\d+)$")
_REPLY_IDS = frozenset({"S", "SI", "SIR", "Z", "@", "I4"})


@dataclass(frozen=True, slots=True)
class WeightReply:
    """A weight the balance sent; ``unit`` is the pint unit, ``raw_unit`` as sent."""

    command: str
    stable: bool
    value: float
    raw_value: str
    unit: str
    raw_unit: str


@dataclass(frozen=True, slots=True)
class StatusReply:
    """A reply without weight: done, not executable, logical error, overload or underload."""

    command: str
    status: ReplyStatus

    @property
    def is_overload(self) -> bool:
        return self.status is ReplyStatus.OVERLOAD

    @property
    def is_underload(self) -> bool:
        return self.status is ReplyStatus.UNDERLOAD


@dataclass(frozen=True, slots=True)
class TextReply:
    """``<ID> A "text"``, e.g. the serial number answering ``I4`` or ``@``."""

    command: str
    text: str


@dataclass(frozen=True, slots=True)
class MtSicsError:
    """``ES``/``ET``/``EL``: the balance did not accept the command."""

    error: GeneralError


MtSicsReply = WeightReply | StatusReply | TextReply | MtSicsError


def encode_command(command: Command | str, *params: str) -> bytes:
    """A command line ready to send, e.g. ``encode_command(Command.IMMEDIATE_WEIGHT)``."""
    text = " ".join([str(command), *params])
    if not text.isascii() or "\r" in text or "\n" in text:
        raise ValueError(f"MT-SICS commands are single ASCII lines: {text!r}")
    return text.encode("ascii") + TERMINATOR


def format_weight_value(value: float, decimals: int) -> str:
    """The weight field: signed number with decimal point, right-aligned in 10 characters."""
    text = f"{value:.{decimals}f}"
    if len(text) > WEIGHT_FIELD_WIDTH:
        raise ValueError(f"weight {text} does not fit the {WEIGHT_FIELD_WIDTH}-character field")
    return text.rjust(WEIGHT_FIELD_WIDTH)


def encode_weight(command: str, stable: bool, value: float, unit: str, decimals: int = 2) -> bytes:
    status = ReplyStatus.STABLE if stable else ReplyStatus.DYNAMIC
    field = format_weight_value(value, decimals)
    return f"{command} {status.value} {field} {unit}".encode("ascii") + TERMINATOR


def encode_status(command: str, status: ReplyStatus) -> bytes:
    return f"{command} {status.value}".encode("ascii") + TERMINATOR


def encode_text(command: str, text: str) -> bytes:
    return f'{command} A "{text}"'.encode("ascii") + TERMINATOR


def encode_error(error: GeneralError) -> bytes:
    return error.value.encode("ascii") + TERMINATOR


def decode_reply(frame: bytes) -> MtSicsReply:
    """Decode one reply line (with or without its CR LF); raises :class:`FrameError`."""
    line = frame.removesuffix(TERMINATOR)
    if not line:
        raise FrameError("empty reply", frame)
    if b"\r" in line or b"\n" in line:
        raise FrameError("stray CR or LF inside a reply", frame)
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FrameError("reply is not ASCII", frame) from exc
    if not text.isprintable():
        raise FrameError("reply contains control characters", frame)

    if text in {error.value for error in GeneralError}:
        return MtSicsError(GeneralError(text))

    reply_id, sep, rest = text.partition(" ")
    if reply_id not in _REPLY_IDS or not sep or not rest:
        raise FrameError(f"unknown reply {text!r}", frame)
    status_token, _, payload = rest.partition(" ")
    try:
        status = ReplyStatus(status_token)
    except ValueError as exc:
        raise FrameError(f"unknown status {status_token!r} in {text!r}", frame) from exc

    if status in (ReplyStatus.STABLE, ReplyStatus.DYNAMIC):
        return _decode_weight(reply_id, status, payload, frame)
    if status is ReplyStatus.DONE and payload:
        if len(payload) < 2 or not (payload.startswith('"') and payload.endswith('"')):
            raise FrameError(f"text reply must be quoted: {text!r}", frame)
        return TextReply(command=reply_id, text=payload[1:-1])
    if payload:
        raise FrameError(f"unexpected data after status {status.value!r}: {text!r}", frame)
    return StatusReply(command=reply_id, status=status)


def _decode_weight(reply_id: str, status: ReplyStatus, payload: str, frame: bytes) -> WeightReply:
    # The value is right-aligned in a fixed-width field, so split from the right: the unit is
    # the last token and everything before it (minus padding) is the value.
    value_field, sep, raw_unit = payload.rpartition(" ")
    if not sep or not raw_unit or _WEIGHT_VALUE.match(raw_unit):
        raise FrameError("weight reply without unit (truncated frame?)", frame)
    raw_value = value_field.strip()
    if not raw_value:
        raise FrameError("weight reply without value", frame)
    if not _WEIGHT_VALUE.match(raw_value):
        raise FrameError(f"weight value {raw_value!r} is not a number", frame)
    if len(raw_value) > WEIGHT_FIELD_WIDTH:
        raise FrameError(f"weight value {raw_value!r} exceeds the 10-character field", frame)
    unit = UNITS.get(raw_unit)
    if unit is None:
        raise FrameError(f"unknown weight unit {raw_unit!r}", frame)
    return WeightReply(
        command=reply_id,
        stable=status is ReplyStatus.STABLE,
        value=float(raw_value),
        raw_value=raw_value,
        unit=unit,
        raw_unit=raw_unit,
    )
