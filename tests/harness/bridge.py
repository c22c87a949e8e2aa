"""Firmware bridge test helpers: instrument simulators on free ports, a recording sink, waiting.

The fixtures are imported by tests/firmware_bridge/conftest.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from firmware_bridge.readings import Reading
from firmware_bridge.simulators.balance import BalanceModel, BalanceSimulator
from firmware_bridge.simulators.scpi import ScpiSimulator


class RecordingSink:
    """Keeps every reading the bridge hands on, for assertions."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def accept(self, reading: Reading) -> None:
        self.readings.append(reading)


async def eventually(
    condition: Callable[[], bool], within_s: float = 5.0, message: str = "condition"
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{message} not reached within {within_s} s")
        await asyncio.sleep(0.02)


@pytest.fixture
async def balance() -> AsyncIterator[BalanceSimulator]:
    simulator = BalanceSimulator(model=BalanceModel(settle_s=0.0, noise_g=0.0))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def multimeter() -> AsyncIterator[ScpiSimulator]:
    simulator = ScpiSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()
