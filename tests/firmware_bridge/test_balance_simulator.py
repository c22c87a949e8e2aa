"""The MT-SICS balance simulator, spoken to with the bridge's client over real TCP sockets.

Each command and each status of the MT-SICS reference manual that the simulator implements is
exercised here: S (waits for stability, never S D), SI, SIR, Z, ZI, T, TA, TAC, @, I2-I4, and the
replies +, -, I, L, ES, ET, EL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from firmware_bridge.adapters.clients import MtSicsClient
from firmware_bridge.adapters.transport import TcpLineStream
from firmware_bridge.codecs import mtsics
from firmware_bridge.codecs.mtsics import GeneralError, ReplyStatus, StatusReply
from firmware_bridge.faults import Fault
from firmware_bridge.simulators.balance import BalanceModel, BalanceSimulator

STABLE_TIMEOUT_S = 0.5


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def balance(clock: FakeClock) -> AsyncIterator[BalanceSimulator]:
    simulator = BalanceSimulator(
        model=BalanceModel(settle_s=2.0, noise_g=0.0, clock=clock),
        stable_timeout_s=STABLE_TIMEOUT_S,
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def client(balance: BalanceSimulator) -> AsyncIterator[MtSicsClient]:
    stream = await TcpLineStream.open("127.0.0.1", balance.port or 0, mtsics.TERMINATOR)
    yield MtSicsClient(stream, timeout_s=2.0)
    await stream.close()


def settle(balance: BalanceSimulator, clock: FakeClock, load_g: float) -> None:
    balance.model.place(load_g)
    clock.now += 10.0


async def raw(client: MtSicsClient, line: bytes) -> bytes:
    await client.stream.write(line)
    return await client.stream.read_line(2.0)


# --- S and SI ---------------------------------------------------------------------------------


async def test_s_waits_for_stability_then_answers_stable(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    balance.model.place(50.0)
    pending = asyncio.create_task(client.weigh(stable=True))
    await asyncio.sleep(0.15)
    assert not pending.done(), "S must wait while the balance is dynamic, not answer S D"
    clock.now += 2.0  # the load settles while S is waiting
    reply = await asyncio.wait_for(pending, 1.0)
    assert isinstance(reply, mtsics.WeightReply)
    assert reply.stable is True
    assert reply.value == pytest.approx(50.0)


async def test_s_times_out_with_s_i(balance: BalanceSimulator, client: MtSicsClient) -> None:
    balance.model.place(50.0)  # the fake clock never moves: it never settles
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply = await client.weigh(stable=True)
    waited = loop.time() - started
    assert reply == StatusReply("S", ReplyStatus.NOT_EXECUTABLE)
    assert waited >= STABLE_TIMEOUT_S * 0.9


async def test_s_on_a_settling_balance_with_a_real_clock() -> None:
    simulator = BalanceSimulator(
        model=BalanceModel(settle_s=0.3, noise_g=0.0), stable_timeout_s=2.0
    )
    port = await simulator.start()
    stream = await TcpLineStream.open("127.0.0.1", port, mtsics.TERMINATOR)
    try:
        simulator.model.place(12.5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await stream.write(b"S\r\n")
        assert await stream.read_line(3.0) == b"S S    12.5000 g"
        assert loop.time() - started >= 0.25  # it waited for the load to settle
    finally:
        await stream.close()
        await simulator.stop()


async def test_si_answers_dynamic_then_stable(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    balance.model.place(50.0)
    dynamic = await client.weigh()
    assert isinstance(dynamic, mtsics.WeightReply)
    assert dynamic.stable is False
    clock.now += 2.0
    assert await raw(client, b"SI\r\n") == b"S S    50.0000 g"


async def test_overload_and_underload(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    settle(balance, clock, 500.0)  # capacity 220 g
    assert await client.weigh() == StatusReply("S", ReplyStatus.OVERLOAD)
    assert await client.weigh(stable=True) == StatusReply("S", ReplyStatus.OVERLOAD)
    settle(balance, clock, -50.0)  # pan lifted off
    assert await client.weigh() == StatusReply("S", ReplyStatus.UNDERLOAD)
    assert await client.weigh(stable=True) == StatusReply("S", ReplyStatus.UNDERLOAD)


# --- T, TA, TAC --------------------------------------------------------------------------------


async def test_tare_answers_t_s_with_the_tare_weight(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    settle(balance, clock, 20.0)
    assert await raw(client, b"T\r\n") == b"T S    20.0000 g"
    assert await raw(client, b"SI\r\n") == b"S S     0.0000 g"
    assert await raw(client, b"TA\r\n") == b"TA A    20.0000 g"
    settle(balance, clock, 20.5)
    net = await client.weigh()
    assert isinstance(net, mtsics.WeightReply)
    assert net.value == pytest.approx(0.5)
    assert await client.clear_tare() == StatusReply("TAC", ReplyStatus.DONE)
    gross = await client.weigh()
    assert isinstance(gross, mtsics.WeightReply)
    assert gross.value == pytest.approx(20.5)


async def test_tare_waits_for_stability_or_answers_t_i(
    balance: BalanceSimulator, client: MtSicsClient
) -> None:
    balance.model.place(20.0)
    assert await client.tare() == StatusReply("T", ReplyStatus.NOT_EXECUTABLE)
    assert balance.model.tare_g == 0.0


async def test_tare_outside_the_taring_range(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    settle(balance, clock, 300.0)
    assert await client.tare() == StatusReply("T", ReplyStatus.OVERLOAD)
    settle(balance, clock, -1.0)
    assert await client.tare() == StatusReply("T", ReplyStatus.UNDERLOAD)


async def test_tare_preset_and_its_logical_errors(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    settle(balance, clock, 12.0)
    assert await client.preset_tare("2.5", "g") == mtsics.ValueReply("TA", 2.5, "2.5000", "g", "g")
    net = await client.weigh()
    assert isinstance(net, mtsics.WeightReply)
    assert net.value == pytest.approx(9.5)
    for value, unit in [("2.5", "kg"), ("999", "g"), ("-1", "g"), ("abc", "g")]:
        reply = await client.preset_tare(value, unit)
        assert reply == StatusReply("TA", ReplyStatus.LOGICAL_ERROR), (value, unit)
    assert balance.model.tare_g == 2.5


# --- Z, ZI -------------------------------------------------------------------------------------


async def test_zero_within_the_zeroing_range(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    settle(balance, clock, 1.0)  # 2 % of 220 g = 4.4 g
    balance.model.tare_g = 0.5
    assert await client.zero() == StatusReply("Z", ReplyStatus.DONE)
    assert balance.model.tare_g == 0.0  # zeroing clears the tare
    settle(balance, clock, 11.0)
    reply = await client.weigh()
    assert isinstance(reply, mtsics.WeightReply)
    assert reply.value == pytest.approx(10.0)


async def test_zero_outside_the_range_or_unstable(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    settle(balance, clock, 20.0)
    assert await client.zero() == StatusReply("Z", ReplyStatus.OVERLOAD)
    settle(balance, clock, -10.0)
    assert await client.zero() == StatusReply("Z", ReplyStatus.UNDERLOAD)
    balance.model.place(1.0)  # dynamic, never settles on the fake clock
    assert await client.zero() == StatusReply("Z", ReplyStatus.NOT_EXECUTABLE)


async def test_zero_immediately_says_whether_it_was_stable(
    balance: BalanceSimulator, clock: FakeClock, client: MtSicsClient
) -> None:
    balance.model.place(1.0)
    assert await client.zero(immediately=True) == StatusReply("ZI", ReplyStatus.DYNAMIC)
    settle(balance, clock, 2.0)
    assert await client.zero(immediately=True) == StatusReply("ZI", ReplyStatus.STABLE)
    assert balance.model.zero_offset_g == 2.0
    settle(balance, clock, 30.0)
    assert await client.zero(immediately=True) == StatusReply("ZI", ReplyStatus.OVERLOAD)


# --- @, I2, I3, I4 -----------------------------------------------------------------------------


async def test_identification_commands(client: MtSicsClient) -> None:
    assert await raw(client, b"I2\r\n") == b'I2 A "XSR205DU 220.0000 g"'
    assert await client.balance_data() == "XSR205DU 220.0000 g"
    assert await client.software_version() == "1.20 10.28.0.493.142"
    assert await client.serial_number() == "B944012345"


async def test_reset_answers_with_the_serial_number_and_clears_the_tare(
    balance: BalanceSimulator, client: MtSicsClient
) -> None:
    balance.model.tare_g = 3.0
    assert await client.reset() == mtsics.TextReply("I4", "B944012345")
    assert balance.model.tare_g == 0.0


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


# --- general errors ----------------------------------------------------------------------------


async def test_unknown_or_lower_case_command_is_a_syntax_error(client: MtSicsClient) -> None:
    assert await client.request("XYZ") == mtsics.MtSicsError(GeneralError.SYNTAX)
    assert await raw(client, b"si\r\n") == b"ES"


async def test_parameter_where_none_is_allowed_is_a_logical_error(client: MtSicsClient) -> None:
    assert await raw(client, b"S 1\r\n") == b"S L"


async def test_faulty_characters_are_a_transmission_error(client: MtSicsClient) -> None:
    assert await raw(client, b"S\xff\r\n") == b"ET"


async def test_balance_in_a_fault_state_answers_el(
    balance: BalanceSimulator, client: MtSicsClient
) -> None:
    balance.inject(Fault.DEVICE_FAULT)
    assert await client.weigh() == mtsics.MtSicsError(GeneralError.LOGICAL)
    balance.clear(Fault.DEVICE_FAULT)
    assert isinstance(await client.weigh(), mtsics.WeightReply)
