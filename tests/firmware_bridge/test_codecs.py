"""MT-SICS and SCPI codecs on good frames and on what real links deliver when they misbehave."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.codecs import FrameError, LineBuffer, mtsics, scpi

# --- MT-SICS -------------------------------------------------------------------------------


def test_stable_weight_reply_from_the_manual() -> None:
    reply = mtsics.decode_reply(b"S S     100.00 g\r\n")
    assert reply == mtsics.WeightReply(
        command="S", stable=True, value=100.0, raw_value="100.00", unit="g", raw_unit="g"
    )


def test_dynamic_negative_weight_in_kilograms() -> None:
    reply = mtsics.decode_reply(b"S D    -0.0125 kg\r\n")
    assert isinstance(reply, mtsics.WeightReply)
    assert reply.stable is False
    assert reply.value == pytest.approx(-0.0125)
    assert reply.unit == "kg"


def test_encoder_right_aligns_value_in_ten_characters() -> None:
    frame = mtsics.encode_weight("S", stable=True, value=12.3456, unit="g", decimals=4)
    assert frame == b"S S    12.3456 g\r\n"
    # "S S " + 10-character field + " g"
    assert frame.index(b" g") == 4 + 10


@given(
    value=st.floats(min_value=-99999.0, max_value=999999.0, allow_nan=False),
    decimals=st.integers(min_value=0, max_value=3),
    stable=st.booleans(),
    unit=st.sampled_from(sorted(mtsics.UNITS)),
)
def test_weight_round_trip(value: float, decimals: int, stable: bool, unit: str) -> None:
    # SI answers with the ID "S", as the manual specifies.
    reply = mtsics.decode_reply(mtsics.encode_weight("S", stable, value, unit, decimals))
    assert isinstance(reply, mtsics.WeightReply)
    assert reply.stable is stable
    assert reply.value == pytest.approx(round(value, decimals), abs=10**-decimals)
    assert reply.unit == mtsics.UNITS[unit]


@pytest.mark.parametrize(
    ("frame", "status"),
    [
        (b"S +\r\n", mtsics.ReplyStatus.OVERLOAD),
        (b"S -\r\n", mtsics.ReplyStatus.UNDERLOAD),
        (b"S I\r\n", mtsics.ReplyStatus.NOT_EXECUTABLE),
        (b"Z A\r\n", mtsics.ReplyStatus.DONE),
        (b"Z I\r\n", mtsics.ReplyStatus.NOT_EXECUTABLE),
    ],
)
def test_status_replies(frame: bytes, status: mtsics.ReplyStatus) -> None:
    reply = mtsics.decode_reply(frame)
    assert isinstance(reply, mtsics.StatusReply)
    assert reply.status is status


def test_tare_reply_carries_the_tare_weight() -> None:
    reply = mtsics.decode_reply(b"T S    20.0000 g\r\n")
    assert isinstance(reply, mtsics.WeightReply)
    assert (reply.command, reply.stable, reply.value) == ("T", True, 20.0)


def test_tare_memory_reply_is_a_value() -> None:
    assert mtsics.decode_reply(b"TA A     5.0000 g\r\n") == mtsics.ValueReply(
        "TA", 5.0, "5.0000", "g", "g"
    )
    assert mtsics.decode_reply(mtsics.encode_value("TA", 5.0, "g", 4)) == mtsics.ValueReply(
        "TA", 5.0, "5.0000", "g", "g"
    )


@pytest.mark.parametrize(
    ("frame", "status"),
    [
        (b"ZI S\r\n", mtsics.ReplyStatus.STABLE),
        (b"ZI D\r\n", mtsics.ReplyStatus.DYNAMIC),
        (b"TA L\r\n", mtsics.ReplyStatus.LOGICAL_ERROR),
        (b"TAC A\r\n", mtsics.ReplyStatus.DONE),
        (b"T +\r\n", mtsics.ReplyStatus.OVERLOAD),
        (b"T -\r\n", mtsics.ReplyStatus.UNDERLOAD),
    ],
)
def test_level_one_status_replies(frame: bytes, status: mtsics.ReplyStatus) -> None:
    reply = mtsics.decode_reply(frame)
    assert isinstance(reply, mtsics.StatusReply)
    assert reply.status is status


def test_stability_without_weight_only_for_zi() -> None:
    # "S S" without a weight is a truncated frame, "ZI S" a complete answer.
    with pytest.raises(FrameError, match="without unit"):
        mtsics.decode_reply(b"S S \r\n")
    assert mtsics.decode_reply(b"ZI S\r\n") == mtsics.StatusReply("ZI", mtsics.ReplyStatus.STABLE)


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (b"S +\r\n", "overload (+)"),
        (b"S -\r\n", "underload (-)"),
        (b"S I\r\n", "not executable (I)"),
        (b"TA L\r\n", "logical error (L)"),
        (b"ES\r\n", "syntax error (ES)"),
        (b"ET\r\n", "transmission error (ET)"),
        (b"EL\r\n", "logical error (EL)"),
    ],
)
def test_every_status_and_error_is_explained(frame: bytes, words: str) -> None:
    sentence = mtsics.explain(mtsics.decode_reply(frame), "S")
    assert words in sentence
    assert not sentence.rstrip().endswith(":")


def test_text_replies_of_i2_and_i3() -> None:
    assert mtsics.decode_reply(b'I2 A "XSR205DU 220.0000 g"\r\n') == mtsics.TextReply(
        "I2", "XSR205DU 220.0000 g"
    )
    assert mtsics.decode_reply(b'I3 A "1.20 10.28.0.493.142"\r\n') == mtsics.TextReply(
        "I3", "1.20 10.28.0.493.142"
    )


def test_negative_zero_is_written_without_sign() -> None:
    assert mtsics.format_weight_value(-0.00001, 4) == "    0.0000"


def test_overload_flag() -> None:
    reply = mtsics.decode_reply(b"S +\r\n")
    assert isinstance(reply, mtsics.StatusReply)
    assert reply.is_overload
    assert not reply.is_underload


@pytest.mark.parametrize("error", list(mtsics.GeneralError))
def test_general_error_replies(error: mtsics.GeneralError) -> None:
    assert mtsics.decode_reply(mtsics.encode_error(error)) == mtsics.MtSicsError(error)


def test_serial_number_reply() -> None:
    assert mtsics.decode_reply(b'I4 A "B123456789"\r\n') == mtsics.TextReply("I4", "B123456789")


def test_commands_are_crlf_terminated() -> None:
    assert mtsics.encode_command(mtsics.Command.IMMEDIATE_WEIGHT) == b"SI\r\n"
    with pytest.raises(ValueError, match="single ASCII"):
        mtsics.encode_command("S\r\nZ")


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"", "empty"),
        (b"S S\r\n", "unknown reply|without"),
        (b"S S     100.00\r\n", "not a number|without unit"),
        (b"S S     100.00 stone\r\n", "unknown weight unit"),
        (b"S S       1O.0 g\r\n", "not a number"),
        (b"S S 12345678901.5 g\r\n", "10-character"),
        (b"S X     100.00 g\r\n", "unknown status"),
        (b"Q S     100.00 g\r\n", "unknown reply"),
        (b"\xff\xfe\x00garbage\r\n", "not ASCII"),
        (b"S S \x07   100.00 g\r\n", "control characters"),
        (b"S + 12\r\n", "unexpected data"),
        (b"I4 A B123\r\n", "quoted"),
    ],
)
def test_malformed_mtsics_frames_are_rejected(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason) as info:
        mtsics.decode_reply(frame)
    assert info.value.frame == frame


def test_value_too_wide_for_the_field_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="10-character"):
        mtsics.format_weight_value(123456789.0, 3)


# --- framing --------------------------------------------------------------------------------


def test_line_buffer_reassembles_split_and_joined_frames() -> None:
    buffer = LineBuffer(b"\r\n")
    assert buffer.feed(b"S S     1") == []
    assert buffer.feed(b"00.00 g\r\nS D      99.9") == [b"S S     100.00 g"]
    assert buffer.feed(b"9 g\r\n") == [b"S D      99.99 g"]
    assert buffer.pending == b""


def test_line_buffer_discards_runaway_garbage() -> None:
    buffer = LineBuffer(b"\n", max_line=16)
    with pytest.raises(FrameError, match="terminator"):
        buffer.feed(b"x" * 40)
    assert buffer.feed(b"+1.0E+00\n") == [b"+1.0E+00"]


# --- SCPI -----------------------------------------------------------------------------------


def test_identity_reply() -> None:
    identity = scpi.decode_identity(b"KEYSIGHT TECHNOLOGIES,34465A,MY57501234,A.03.01-02.40\n")
    assert identity == scpi.Identity(
        "KEYSIGHT TECHNOLOGIES", "34465A", "MY57501234", "A.03.01-02.40"
    )


@pytest.mark.parametrize(
    ("frame", "value", "kind"),
    [
        (b"42\n", 42.0, scpi.NumberKind.NR1),
        (b"-7\n", -7.0, scpi.NumberKind.NR1),
        (b"23.25\n", 23.25, scpi.NumberKind.NR2),
        (b"+1.23456789E+00\n", 1.23456789, scpi.NumberKind.NR3),
        (b"-4.5e-3\r\n", -0.0045, scpi.NumberKind.NR3),
    ],
)
def test_numeric_replies(frame: bytes, value: float, kind: scpi.NumberKind) -> None:
    number = scpi.decode_number(frame)
    assert number.value == pytest.approx(value)
    assert number.kind is kind
    assert number.valid


def test_overflow_is_not_a_reading() -> None:
    over = scpi.decode_number(b"+9.90000000E+37\n")
    under = scpi.decode_number(b"-9.9E37\n")
    nan = scpi.decode_number(b"9.91E37\n")
    assert over.overflow
    assert over.value == math.inf
    assert not over.valid
    assert under.overflow
    assert under.value == -math.inf
    assert nan.not_a_number
    assert not nan.valid


def test_number_round_trip_keeps_overflow() -> None:
    assert scpi.decode_number(scpi.encode_number(0.012345)).value == pytest.approx(0.012345)
    assert scpi.decode_number(scpi.encode_number(math.inf)).overflow


def test_error_queue_entries() -> None:
    error = scpi.decode_error(b'-113,"Undefined header"\n')
    assert error == scpi.ScpiError(-113, "Undefined header")
    assert error.is_error
    empty = scpi.decode_error(b'+0,"No error"\n')
    assert empty.code == 0
    assert not empty.is_error
    assert scpi.decode_error(scpi.encode_error(error)) == error
    # SCPI-99 writes the empty queue as 0,"No error" and errors with their minus sign.
    assert scpi.encode_error(scpi.NO_ERROR) == b'0,"No error"\n'
    assert scpi.encode_error(error) == b'-113,"Undefined header"\n'


@pytest.mark.parametrize(
    ("code", "bit"),
    [
        (0, scpi.EventStatus(0)),
        (-100, scpi.EventStatus.CME),
        (-113, scpi.EventStatus.CME),
        (-222, scpi.EventStatus.EXE),
        (-350, scpi.EventStatus.DDE),
        (-440, scpi.EventStatus.QYE),
        (101, scpi.EventStatus.DDE),
    ],
)
def test_error_class_sets_its_event_status_bit(code: int, bit: scpi.EventStatus) -> None:
    assert scpi.error_event(code) == bit


def test_status_bits_are_where_ieee_488_2_puts_them() -> None:
    assert scpi.StatusByte.EAV == 4
    assert scpi.StatusByte.MAV == 16
    assert scpi.StatusByte.ESB == 32
    assert scpi.StatusByte.MSS == 64
    assert scpi.EventStatus.OPC == 1
    assert scpi.EventStatus.QYE == 4
    assert scpi.EventStatus.EXE == 16
    assert scpi.EventStatus.CME == 32
    assert scpi.EventStatus.PON == 128


def test_integer_replies() -> None:
    assert scpi.decode_integer(b"32\n") == 32
    assert scpi.decode_integer(b"+0\n") == 0
    with pytest.raises(FrameError, match="NR1"):
        scpi.decode_integer(b"3.5\n")


@pytest.mark.parametrize(
    ("decoder", "frame", "reason"),
    [
        (scpi.decode_number, b"\n", "empty"),
        (scpi.decode_number, b"1.2.3\n", "NR1/NR2/NR3"),
        (scpi.decode_number, b"12 V\n", "NR1/NR2/NR3"),
        (scpi.decode_number, b"1E999\n", "double range"),
        (scpi.decode_number, b"\x80\x81\n", "not ASCII"),
        (scpi.decode_identity, b"KEYSIGHT,34465A\n", "manufacturer,model"),
        (scpi.decode_error, b"-113 Undefined header\n", "code"),
        (scpi.decode_error, b'-113,"Undefined\x00"\n', "control"),
    ],
)
def test_malformed_scpi_frames_are_rejected(decoder: object, frame: bytes, reason: str) -> None:
    assert callable(decoder)
    with pytest.raises(FrameError, match=reason):
        decoder(frame)
