"""A lost link or a time-out is reported with the exception's type and what was being done."""

from __future__ import annotations

from typing import Any

import pytest

from edge_agent.transport import CommError, PymodbusTransport


class _SilentClient:
    """A Modbus client whose connect and reads fail the way real sockets do."""

    def __init__(self, *, connects: bool) -> None:
        self.connected = connects
        self.closed = False

    async def connect(self) -> bool:
        raise TimeoutError()  # str() of this is "", which used to end the message

    async def read_holding_registers(self, address: int, **_kwargs: Any) -> Any:
        raise ConnectionResetError()

    read_input_registers = read_coils = read_discrete_inputs = read_holding_registers

    def close(self) -> None:
        self.closed = True


async def test_a_connect_time_out_names_the_error_and_the_device() -> None:
    transport = PymodbusTransport(_SilentClient(connects=False), 0.1, where="10.0.0.7:502")
    with pytest.raises(CommError) as caught:
        await transport.read("holding", 0, 5, 1)
    assert str(caught.value) == "TimeoutError while connecting to 10.0.0.7:502"


async def test_a_dropped_link_names_the_error_and_the_registers_read() -> None:
    client = _SilentClient(connects=True)
    transport = PymodbusTransport(client, 0.1, where="10.0.0.7:502")
    with pytest.raises(CommError) as caught:
        await transport.read("holding", 40, 5, 1)
    assert str(caught.value) == "ConnectionResetError while reading holding 40+5 from 10.0.0.7:502"
    assert client.closed
