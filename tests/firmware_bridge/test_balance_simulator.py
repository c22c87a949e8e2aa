"""The MT-SICS balance simulator, spoken to with the bridge's client over TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from firmware_bridge.adapters.clients import MtSicsClient
from firmware_bridge.adapters.transport import TcpLineStream
from firmware_bridge.codecs import mtsics
from firmware_bridge.simulators.balance import BalanceModel, BalanceSimulator


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def settling_balance() -> AsyncIterator[tuple[BalanceSimulator, FakeClock]]:
    clock = FakeClock()
    simulator = BalanceSimulator(
        model=BalanceModel(settle_s=2.0, noise_g=0.0, clock=clock), stable_timeout_s=1.0
    )
    await simulator.start()
    yield simulator, clock
    await simulator.stop()


@pytest.fixture
async def client(
    settling_balance: tuple[BalanceSimulator, FakeClock],
) -> AsyncIterator[MtSicsClient]:
    simulator, _ = settling_balance
    stream = await TcpLineStream.open("127.0.0.1", simulator.port or 0, mtsics.TERMINATOR)
    yield MtSicsClient(stream, timeout_s=1.0)
    await stream.close()


async def test_dynamic_until_settled_then_stable(
    settling_balance: tuple[BalanceSimulator, FakeClock], client: MtSicsClient
) -> None:
    simulator, clock = settling_balance
    simulator.model.place(50.0)
    immediate = await client.weigh(stable=False)
    assert isinstance(immediate, mtsics.WeightReply)
    assert immediate.stable is False
    # S gives up with "S I" when stability is further away than its timeout.
    assert await client.weigh(stable=True) == mtsics.StatusReply(
        "S", mtsics.ReplyStatus.NOT_EXECUTABLE
    )
    assert await client.zero() == mtsics.StatusReply("Z", mtsics.ReplyStatus.NOT_EXECUTABLE)
    clock.now += 2.0
    stable = await client.weigh(stable=True)
    assert isinstance(stable, mtsics.WeightReply)
    assert stable.stable is True
    assert stable.value == pytest.approx(50.0)


async def test_zero_tares_the_current_load(
    settling_balance: tuple[BalanceSimulator, FakeClock], client: MtSicsClient
) -> None:
    simulator, clock = settling_balance
    simulator.model.place(20.0)
    clock.now += 5.0
    assert await client.zero() == mtsics.StatusReply("Z", mtsics.ReplyStatus.DONE)
    simulator.model.place(20.5)
    clock.now += 5.0
    reply = await client.weigh()
    assert isinstance(reply, mtsics.WeightReply)
    assert reply.value == pytest.approx(0.5)


async def test_serial_number_reset_and_unknown_command(client: MtSicsClient) -> None:
    assert await client.serial_number() == "B944012345"
    assert await client.request(mtsics.Command.RESET) == mtsics.TextReply("I4", "B944012345")
    assert await client.request("XYZ") == mtsics.MtSicsError(mtsics.GeneralError.SYNTAX)


async def test_sir_repeats_until_next_command(client: MtSicsClient) -> None:
    await client.stream.write(mtsics.encode_command(mtsics.Command.REPEAT_IMMEDIATE))
    replies = [mtsics.decode_reply(await client.stream.read_line(1.0)) for _ in range(3)]
    assert all(isinstance(r, mtsics.WeightReply) for r in replies)
    # Another command ends the stream; drop any repeat already in flight.
    await client.stream.write(mtsics.encode_command(mtsics.Command.SERIAL_NUMBER))
    for _ in range(5):
        reply = mtsics.decode_reply(await client.stream.read_line(1.0))
        if isinstance(reply, mtsics.TextReply):
            break
    assert reply == mtsics.TextReply("I4", "B944012345")
