"""Mettler Toledo MT-SICS (Standard Interface Command Set), level 0 and the level 1 tare commands.

Commands are upper-case ASCII closed by CR LF; parameters follow after single blanks. Every
command gets exactly one reply line (``SIR`` excepted: it repeats until the next command).

Reply forms, as the MT-SICS reference manual defines them:

* ``<ID> <S|D> <weight> <unit>`` -- a weight, ``S`` stable, ``D`` dynamic (not yet stable).
  The weight has sign and decimal point and is right-aligned in a 10-character field.
* ``<ID> A <weight> <unit>`` -- a stored value, e.g. the tare memory answering ``TA``.
* ``<ID> A "<text>"`` -- text, e.g. the serial number answering ``I4`` (and ``@``).
* ``<ID> <status>`` -- no weight: ``A`` done, ``I`` not executable now (busy with another
  command, or no stable weight before the balance's stability timeout), ``L`` logical error
  (command understood but a parameter not allowed), ``+`` overload / above the range, ``-``
  underload / below the range. ``ZI`` also answers ``ZI S`` / ``ZI D``: zeroed under stable /
  dynamic conditions.
* ``ES`` syntax error (command not recognised), ``ET`` transmission error (faulty characters,
  e.g. parity, or a break), ``EL`` logical error (cannot be executed) -- answered without ID.

The reply's ID is the command's name, except that ``SI`` and ``SIR`` answer with ``S`` and
``@`` (cancel / reset) answers like ``I4`` with the serial number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from firmware_bridge.codecs.framing import FrameError

__all__ = [
    "REPLY_ID",
    "TERMINATOR",
    "UNITS",
    "Command",
    "GeneralError",
    "MtSicsError",
    "MtSicsReply",
    "ReplyStatus",
    "StatusReply",
    "TextReply",
    "ValueReply",
    "WeightReply",
    "decode_reply",
    "encode_command",
    "encode_error",
    "encode_status",
    "encode_text",
    "encode_value",
    "encode_weight",
    "explain",
    "format_weight_value",
]

TERMINATOR = b"\r\n"
WEIGHT_FIELD_WIDTH = 10


class Command(StrEnum):
    STABLE_WEIGHT = "S"
    IMMEDIATE_WEIGHT = "SI"
    REPEAT_IMMEDIATE = "SIR"
    ZERO = "Z"
    ZERO_IMMEDIATE = "ZI"
    TARE = "T"
    TARE_VALUE = "TA"
    CLEAR_TARE = "TAC"
    RESET = "@"
    BALANCE_DATA = "I2"
    SOFTWARE_VERSION = "I3"
    SERIAL_NUMBER = "I4"


#: The ID a reply to each command carries (the command's own name unless listed here).
REPLY_ID: dict[str, str] = {"SI": "S", "SIR": "S", "@": "I4"}


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


_STATUS_REASONS: dict[ReplyStatus, str] = {
    ReplyStatus.NOT_EXECUTABLE: (
        "not executable (I): the balance is busy with another command "
        "or did not become stable within its timeout"
    ),
    ReplyStatus.LOGICAL_ERROR: (
        "logical error (L): command understood but a parameter is not allowed"
    ),
    ReplyStatus.OVERLOAD: "overload (+): above the weighing, taring or zeroing range",
    ReplyStatus.UNDERLOAD: (
        "underload (-): below the weighing, taring or zeroing range (pan not in place?)"
    ),
    ReplyStatus.DONE: "done (A)",
    ReplyStatus.STABLE: "done under stable conditions (S)",
    ReplyStatus.DYNAMIC: "done under dynamic conditions (D)",
}

_ERROR_REASONS: dict[GeneralError, str] = {
    GeneralError.SYNTAX: "syntax error (ES): the balance did not recognise the command",
    GeneralError.TRANSMISSION: (
        "transmission error (ET): the balance received a faulty command "
        "(parity error or interface break)"
    ),
    GeneralError.LOGICAL: "logical error (EL): the balance cannot execute the command",
}

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
_REPLY_IDS = frozenset(REPLY_ID.get(c.value, c.value) for c in Command)
#: Commands whose S/D status may come without a weight ("ZI S": zeroed while stable).
_STABILITY_ONLY_IDS = frozenset({"ZI"})


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
class ValueReply:
    """``<ID> A <value> <unit>``: a stored weight such as the tare memory (``TA``)."""

    command: str
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

    @property
    def succeeded(self) -> bool:
        return self.status in (ReplyStatus.DONE, ReplyStatus.STABLE, ReplyStatus.DYNAMIC)

    @property
    def reason(self) -> str:
        return _STATUS_REASONS[self.status]


@dataclass(frozen=True, slots=True)
class TextReply:
    """``<ID> A "text"``, e.g. the serial number answering ``I4`` or ``@``."""

    command: str
    text: str


@dataclass(frozen=True, slots=True)
class MtSicsError:
    """``ES``/``ET``/``EL``: the balance did not accept the command."""

    error: GeneralError

    @property
    def reason(self) -> str:
        return _ERROR_REASONS[self.error]


MtSicsReply = WeightReply | ValueReply | StatusReply | TextReply | MtSicsError


def explain(reply: MtSicsReply, command: str) -> str:
    """One sentence on what ``reply`` to ``command`` means, for logs and reading details."""
    if isinstance(reply, MtSicsError):
        return f"balance answered {reply.error.value} to {command}: {reply.reason}"
    if isinstance(reply, StatusReply):
        return f"balance answered {reply.command} {reply.status.value} to {command}: {reply.reason}"
    if isinstance(reply, WeightReply):
        state = "stable" if reply.stable else "dynamic"
        return f"{state} weight {reply.raw_value} {reply.raw_unit} in reply to {command}"
    if isinstance(reply, ValueReply):
        return f"value {reply.raw_value} {reply.raw_unit} in reply to {command}"
    return f"text {reply.text!r} in reply to {command}"


def encode_command(command: Command | str, *params: str) -> bytes:
    """A command line ready to send, e.g. ``encode_command(Command.IMMEDIATE_WEIGHT)``."""
    text = " ".join([str(command), *params])
    if not text.isascii() or "\r" in text or "\n" in text:
        raise ValueError(f"MT-SICS commands are single ASCII lines: {text!r}")
    return text.encode("ascii") + TERMINATOR


def format_weight_value(value: float, decimals: int) -> str:
    """The weight field: signed number with decimal point, right-aligned in 10 characters."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # no "-0.0000"
    if len(text) > WEIGHT_FIELD_WIDTH:
        raise ValueError(f"weight {text} does not fit the {WEIGHT_FIELD_WIDTH}-character field")
    return text.rjust(WEIGHT_FIELD_WIDTH)


def encode_weight(command: str, stable: bool, value: float, unit: str, decimals: int = 2) -> bytes:
    status = ReplyStatus.STABLE if stable else ReplyStatus.DYNAMIC
    field = format_weight_value(value, decimals)
    return f"{command} {status.value} {field} {unit}".encode("ascii") + TERMINATOR


def encode_value(command: str, value: float, unit: str, decimals: int = 2) -> bytes:
    field = format_weight_value(value, decimals)
    return f"{command} A {field} {unit}".encode("ascii") + TERMINATOR


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
        if not payload and reply_id in _STABILITY_ONLY_IDS:
            return StatusReply(command=reply_id, status=status)
        value, raw_value, unit, raw_unit = _decode_weight(payload, frame)
        return WeightReply(
            command=reply_id,
            stable=status is ReplyStatus.STABLE,
            value=value,
            raw_value=raw_value,
            unit=unit,
            raw_unit=raw_unit,
        )
    if status is ReplyStatus.DONE and payload:
        if payload.startswith('"'):
            if len(payload) < 2 or not payload.endswith('"'):
                raise FrameError(f"text reply must be quoted: {text!r}", frame)
            return TextReply(command=reply_id, text=payload[1:-1])
        tokens = payload.split()
        if not tokens or not _WEIGHT_VALUE.match(tokens[0]):
            raise FrameError(f"text reply must be quoted: {text!r}", frame)
        value, raw_value, unit, raw_unit = _decode_weight(payload, frame)
        return ValueReply(reply_id, value, raw_value, unit, raw_unit)
    if payload:
        raise FrameError(f"unexpected data after status {status.value!r}: {text!r}", frame)
    return StatusReply(command=reply_id, status=status)


def _decode_weight(payload: str, frame: bytes) -> tuple[float, str, str, str]:
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
    return float(raw_value), raw_value, unit, raw_unit
