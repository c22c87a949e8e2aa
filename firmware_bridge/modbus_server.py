"""A pymodbus TCP server over a register image that Python code owns.

pymodbus 3.16 copies every datastore into its own runtime, so values cannot be changed by
mutating a data block after start. Instead the server is given an ``action`` hook that runs on
every request: reads refresh the served registers from the owner's image first, writes are
validated by the owner and then applied. Both the chamber simulator and the bridge's Modbus
exposure build on this.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from firmware_bridge.errors import describe

__all__ = ["HoldingBlock", "RegisterImageServer", "WriteRejected"]

log = logging.getLogger(__name__)

# Function codes that address holding registers (read, write single, write multiple, mask, rw).
_HOLDING_FUNCTION_CODES = frozenset({3, 6, 16, 22, 23})


class WriteRejected(Exception):
    """A write the device refuses; the client sees Modbus exception ILLEGAL_VALUE."""


@dataclass(frozen=True, slots=True)
class HoldingBlock:
    """A run of holding registers; ``writable`` ones accept function codes 6 and 16."""

    address: int
    count: int
    writable: bool = False


ReadHook = Callable[[], Sequence[int]]
WriteHook = Callable[[int, list[int]], None]


class RegisterImageServer:
    """Serve ``read_image()`` as holding registers starting at 0 on one device id.

    ``read_image`` returns the full register image (index = address). ``on_write(address,
    values)`` is called for writes to writable blocks and may raise :class:`WriteRejected`.
    ``before_request`` lets a simulator inject a fault (delay, dropped connection).
    """

    def __init__(
        self,
        *,
        blocks: Sequence[HoldingBlock],
        read_image: ReadHook,
        on_write: WriteHook | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        device_id: int = 1,
        before_request: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._blocks = list(blocks)
        self._read_image = read_image
        self._on_write = on_write
        self._before_request = before_request
        self.host = host
        self.requested_port = port
        self.device_id = device_id
        self._server: ModbusTcpServer | None = None
        self.port: int | None = None

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self._before_request is not None and not await self._before_request():
            return ExcCodes.DEVICE_FAILURE
        if function_code not in _HOLDING_FUNCTION_CODES:
            return ExcCodes.ILLEGAL_FUNCTION
        image = list(self._read_image())
        for index, value in enumerate(image):
            offset = index - start_address
            if 0 <= offset < len(registers):
                registers[offset] = value
        if set_values is not None and self._on_write is not None:
            try:
                self._on_write(address, [int(v) for v in set_values])
            except WriteRejected as exc:
                log.info("%s", describe(exc, f"writing holding register {address}"))
                return ExcCodes.ILLEGAL_VALUE
        return None

    async def start(self) -> int:
        """Listen; returns the bound port (useful with port 0)."""
        simdata = [
            SimData(
                address=block.address,
                count=block.count,
                values=0,
                datatype=DataType.REGISTERS,
                readonly=not block.writable,
            )
            for block in self._blocks
        ]
        device = SimDevice(id=self.device_id, simdata=simdata, action=self._action)
        server = ModbusTcpServer(device, address=(self.host, self.requested_port))
        await server.serve_forever(background=True)
        self._server = server
        sockets = getattr(server.transport, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self.requested_port
        return self.port

    def drop_connections(self) -> int:
        """Close every client connection (fault injection); returns how many were closed."""
        if self._server is None:
            return 0
        connections = list(self._server.active_connections.values())
        for connection in connections:
            connection.close()
        return len(connections)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus leaves it unannotated
            self._server = None

    async def serve_forever(self) -> None:
        """Start (if needed) and block until cancelled."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()
