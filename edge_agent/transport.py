"""Modbus transports: the one seam between the agent and the wire.

``ModbusTransport`` is what a device poller needs; ``PymodbusTransport`` speaks Modbus TCP,
RTU on a serial line, or RTU framed over TCP through pymodbus's async clients. Devices on one
serial line (or one serial-to-Ethernet converter) share a ``Bus``: its lock keeps requests
from overlapping and its pause gives slow slaves the silent interval they need between frames.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.framer import FramerType

from mqtt_contract.gateway_config import (
    ModbusDevice,
    ModbusRtuDevice,
    ModbusRtuOverTcpDevice,
    ModbusTcpDevice,
    RegisterKind,
    bus_name,
)

__all__ = [
    "Bus",
    "CommError",
    "IllegalAddress",
    "ModbusTransport",
    "PymodbusTransport",
    "TransportFactory",
    "TransportPool",
    "failure",
]

ILLEGAL_DATA_ADDRESS = 0x02


class CommError(Exception):
    """The device did not answer usefully (timeout, closed connection, exception code)."""


class IllegalAddress(CommError):
    """The device answered but has no such register range (exception code 2)."""


class ModbusTransport(Protocol):
    async def read(
        self, kind: RegisterKind, address: int, count: int, device_id: int
    ) -> list[int] | list[bool]: ...

    async def close(self) -> None: ...


class TransportFactory(Protocol):
    def __call__(self, device: ModbusDevice) -> ModbusTransport: ...


class Bus:
    """A shared line: one request at a time, with a pause after each frame."""

    def __init__(self, frame_gap_s: float) -> None:
        self.lock = asyncio.Lock()
        self.frame_gap_s = frame_gap_s
        self._last_frame_end = 0.0

    async def wait_gap(self) -> None:
        remaining = self._last_frame_end + self.frame_gap_s - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)

    def frame_done(self) -> None:
        self._last_frame_end = time.monotonic()


def failure(exc: BaseException, operation: str) -> str:
    """What went wrong, never empty: ``str(TimeoutError())`` is ``""``, so the exception's type
    and the operation always lead ("TimeoutError while reading holding 0+5 from 10.0.0.7:502")."""
    detail = str(exc).strip()
    return f"{type(exc).__name__} while {operation}" + (f": {detail}" if detail else "")


class PymodbusTransport:
    """A pymodbus async client, optionally shared by the devices of one bus."""

    def __init__(
        self, client: Any, timeout_s: float, bus: Bus | None = None, *, where: str = "the device"
    ) -> None:
        self._client = client
        self._where = where
        self._timeout_s = timeout_s
        self._bus = bus
        self._connect_lock = asyncio.Lock()

    async def _ensure_connected(self) -> None:
        if self._client.connected:
            return
        async with self._connect_lock:
            if self._client.connected:
                return
            try:
                async with asyncio.timeout(self._timeout_s):
                    ok = await self._client.connect()
            except (TimeoutError, OSError, ModbusException) as exc:
                raise CommError(failure(exc, f"connecting to {self._where}")) from exc
            if not ok:
                raise CommError(f"connecting to {self._where} failed")

    async def _request(
        self, kind: RegisterKind, address: int, count: int, device_id: int
    ) -> list[int] | list[bool]:
        await self._ensure_connected()
        client = self._client
        call = {
            "holding": client.read_holding_registers,
            "input": client.read_input_registers,
            "coil": client.read_coils,
            "discrete_input": client.read_discrete_inputs,
        }[kind]
        try:
            async with asyncio.timeout(self._timeout_s * 1.5):
                response = await call(address, count=count, device_id=device_id)
        except (TimeoutError, OSError, ModbusException) as exc:
            # Start afresh: a half-open connection would keep timing out, and on a serial line a
            # late answer must never be taken for the next request's.
            client.close()
            raise CommError(
                failure(exc, f"reading {kind} {address}+{count} from {self._where}")
            ) from exc
        if response.isError():
            code = getattr(response, "exception_code", None)
            if code == ILLEGAL_DATA_ADDRESS:
                raise IllegalAddress(f"illegal data address {kind} {address}+{count}")
            raise CommError(f"exception code {code}")
        if kind in ("coil", "discrete_input"):
            return [bool(b) for b in response.bits[:count]]
        registers = list(response.registers)
        if len(registers) < count:
            raise CommError(f"short response: {len(registers)} of {count} registers")
        return registers

    async def read(
        self, kind: RegisterKind, address: int, count: int, device_id: int
    ) -> list[int] | list[bool]:
        if self._bus is None:
            return await self._request(kind, address, count, device_id)
        async with self._bus.lock:
            await self._bus.wait_gap()
            try:
                return await self._request(kind, address, count, device_id)
            finally:
                self._bus.frame_done()

    async def close(self) -> None:
        self._client.close()


class TransportPool:
    """Creates transports; devices on one bus share a client and a ``Bus``."""

    def __init__(self) -> None:
        self._shared: dict[str, PymodbusTransport] = {}
        self._all: list[PymodbusTransport] = []

    def __call__(self, device: ModbusDevice) -> ModbusTransport:
        name = bus_name(device)
        if name is not None and name in self._shared:
            return self._shared[name]
        # Retries and reconnects are the circuit breaker's job: one attempt per poll keeps a
        # dead device from holding the line for several timeouts.
        common: dict[str, Any] = {
            "timeout": device.timeout_s,
            "retries": 0,
            "reconnect_delay": 0,
            "name": device.key,
        }
        transport: PymodbusTransport
        client: Any
        if isinstance(device, ModbusTcpDevice):
            client = AsyncModbusTcpClient(device.host, port=device.port, **common)
            transport = PymodbusTransport(
                client, device.timeout_s, where=f"{device.host}:{device.port}"
            )
            self._all.append(transport)
            return transport
        if isinstance(device, ModbusRtuOverTcpDevice):
            client = AsyncModbusTcpClient(
                device.host, port=device.port, framer=FramerType.RTU, **common
            )
            transport = PymodbusTransport(
                client,
                device.timeout_s,
                Bus(device.frame_gap_ms / 1000),
                where=f"{device.host}:{device.port}",
            )
        elif isinstance(device, ModbusRtuDevice):
            client = AsyncModbusSerialClient(
                device.serial_port,
                framer=FramerType.RTU,
                baudrate=device.baudrate,
                parity=device.parity,
                stopbits=device.stopbits,
                bytesize=device.bytesize,
                **common,
            )
            transport = PymodbusTransport(
                client, device.timeout_s, Bus(device.frame_gap_ms / 1000), where=device.serial_port
            )
        else:  # pragma: no cover - the config union is closed
            raise TypeError(f"unsupported device {type(device).__name__}")
        assert name is not None
        self._shared[name] = transport
        self._all.append(transport)
        return transport

    async def close(self) -> None:
        for transport in self._all:
            await transport.close()
        self._all.clear()
        self._shared.clear()
