"""describe(): every error sentence names the exception and the operation, never nothing."""

from __future__ import annotations

import asyncio

import pytest

from firmware_bridge.errors import describe


def test_exception_with_empty_message_still_says_what_happened() -> None:
    assert str(TimeoutError()) == ""  # the reason log lines used to end in nothing
    assert (
        describe(TimeoutError(), "reading weight (S) from 127.0.0.1:4001")
        == "TimeoutError while reading weight (S) from 127.0.0.1:4001"
    )


def test_message_and_cause_are_kept() -> None:
    try:
        try:
            raise OSError(5, "Input/output error")
        except OSError as inner:
            raise ConnectionResetError("port vanished") from inner
    except ConnectionResetError as exc:
        sentence = describe(exc, "reading voltage (MEAS:VOLT?) from /dev/ttyUSB0")
    assert sentence == (
        "ConnectionResetError while reading voltage (MEAS:VOLT?) from /dev/ttyUSB0: "
        "port vanished (caused by OSError: [Errno 5] Input/output error)"
    )


async def test_asyncio_timeout_does_not_blame_its_internal_cancellation() -> None:
    with pytest.raises(TimeoutError) as info:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)
    assert describe(info.value, "waiting") == "TimeoutError while waiting"


@pytest.mark.parametrize(
    "exc", [TimeoutError(), ConnectionResetError(), EOFError(), OSError(), ValueError("")]
)
def test_never_empty_and_never_ends_in_a_colon(exc: BaseException) -> None:
    sentence = describe(exc, "connecting to 10.0.0.5:4001")
    assert sentence.startswith(type(exc).__name__ + " while connecting to 10.0.0.5:4001")
    assert not sentence.rstrip().endswith(":")
