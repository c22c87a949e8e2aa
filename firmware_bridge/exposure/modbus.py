"""Readings exposed as Modbus holding registers for the edge agent to poll.

Each point configured with ``register_address: N`` occupies five holding registers::

    N, N+1  value          float32, big-endian words (ABCD); NaN while there is no good value
    N+2     quality        uint16, mqtt_contract.v1.QUALITY_CODES (0 ok, 1 stale, 2 comm_fail,
                           3 out_of_range, 4 bad_unit)
    N+3     reading count  uint16, +1 per poll result, wraps at 65536 (lets a reader see staleness)
    N+4     stable         uint16, 1 when the instrument reported the value as stable

The registers are read-only; writes are refused with ILLEGAL_ADDRESS.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from firmware_bridge.config import REGISTERS_PER_POINT
from firmware_bridge.modbus_server import HoldingBlock, RegisterImageServer
from firmware_bridge.readings import Reading
from mqtt_contract.v1 import QUALITY_CODES, Quality

__all__ = ["ModbusExposure", "decode_point_registers"]


def _float_words(value: float) -> list[int]:
    return list(struct.unpack(">HH", struct.pack(">f", value)))


def decode_point_registers(registers: Sequence[int]) -> tuple[float, Quality, int, bool]:
    """The inverse of the layout above: (value, quality, count, stable)."""
    value: float = struct.unpack(">f", struct.pack(">HH", registers[0], registers[1]))[0]
    quality = next(q for q, code in QUALITY_CODES.items() if code == registers[2])
    return value, quality, registers[3], bool(registers[4])


class ModbusExposure:
    def __init__(
        self,
        points: dict[tuple[str, str], int],
        *,
        host: str = "127.0.0.1",
        port: int = 5021,
        device_id: int = 1,
    ) -> None:
        """``points`` maps (instrument key, point key) to the first register address."""
        self._addresses = dict(points)
        size = max((a + REGISTERS_PER_POINT for a in self._addresses.values()), default=1)
        self._image = [0] * size
        for address in self._addresses.values():
            self._image[address : address + 2] = _float_words(math.nan)
            self._image[address + 2] = QUALITY_CODES[Quality.STALE]
        self._server = RegisterImageServer(
            blocks=[
                HoldingBlock(address, REGISTERS_PER_POINT)
                for address in sorted(self._addresses.values())
            ],
            read_image=lambda: self._image,
            host=host,
            port=port,
            device_id=device_id,
        )

    @property
    def port(self) -> int | None:
        return self._server.port

    def accept(self, reading: Reading) -> None:
        address = self._addresses.get((reading.instrument, reading.point))
        if address is None:
            return
        value = reading.value if reading.value is not None else math.nan
        self._image[address : address + 2] = _float_words(value)
        self._image[address + 2] = QUALITY_CODES[reading.quality]
        self._image[address + 3] = (self._image[address + 3] + 1) & 0xFFFF
        self._image[address + 4] = int(reading.stable)

    async def start(self) -> int:
        return await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()
