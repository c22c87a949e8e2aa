"""Turn raw register blocks into numbers.

A block read is packed to bytes once; each point then slices its bytes, reorders them for
the device's byte/word order and unpacks with one precompiled ``struct`` format.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from mqtt_contract.gateway_config import ByteOrder, ModbusPoint, PointType

__all__ = ["PointDecoder", "decode_block", "encode_value", "reorder"]

_FORMATS: dict[PointType, str] = {
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "int64": ">q",
    "uint64": ">Q",
    "float32": ">f",
    "float64": ">d",
}


def reorder(data: bytes, byte_order: ByteOrder) -> bytes:
    """Map device byte order to big-endian (ABCD); the mapping is its own inverse.

    ``CDAB`` swaps 16-bit words, ``BADC`` swaps the bytes inside each word, ``DCBA`` does
    both. Generalised to 64-bit values as word order / byte-in-word order.
    """
    if byte_order == "ABCD":
        return data
    if byte_order == "DCBA":
        return data[::-1]
    if byte_order == "BADC":
        out = bytearray(len(data))
        out[0::2] = data[1::2]
        out[1::2] = data[0::2]
        return bytes(out)
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    return b"".join(reversed(words))


@dataclass(frozen=True, slots=True)
class PointDecoder:
    """Decoding of one point, prepared once from its configuration."""

    offset: int  # registers (or bits) from the start of the block
    count: int
    type: PointType
    byte_order: ByteOrder
    length: int | None

    @classmethod
    def for_point(cls, point: ModbusPoint, block_start: int) -> PointDecoder:
        return cls(
            offset=point.address - block_start,
            count=point.register_count,
            type=point.type,
            byte_order=point.byte_order,
            length=point.length,
        )

    def decode_registers(self, block: bytes) -> float | None:
        """Decode from the packed bytes of a register block; ``None`` when unreadable."""
        data = block[self.offset * 2 : (self.offset + self.count) * 2]
        if self.type == "string":
            if self.byte_order in ("BADC", "DCBA"):
                data = reorder(data, "BADC")
            text = data[: self.length].split(b"\x00", 1)[0].decode("ascii", "replace").strip()
            try:
                value = float(text)
            except ValueError:
                return None
            return value if math.isfinite(value) else None
        if self.type == "bool":
            return 1.0 if int.from_bytes(data, "big") else 0.0
        value = struct.unpack(_FORMATS[self.type], reorder(data, self.byte_order))[0]
        number = float(value)
        return number if math.isfinite(number) else None


def decode_block(
    registers: Sequence[int] | Sequence[bool], decoders: Sequence[PointDecoder], bits: bool
) -> list[float | None]:
    """Decode every point of one read block at once."""
    if bits:
        return [1.0 if registers[d.offset] else 0.0 for d in decoders]
    packed = struct.pack(f">{len(registers)}H", *registers)
    return [d.decode_registers(packed) for d in decoders]


def encode_value(value: float | str, type_: PointType, byte_order: ByteOrder = "ABCD") -> list[int]:
    """Registers a device would hold for ``value`` (used by tests and the scanner's probes)."""
    if type_ == "string":
        raw = str(value).encode("ascii")
        if len(raw) % 2:
            raw += b"\x00"
        if byte_order in ("BADC", "DCBA"):
            raw = reorder(raw, "BADC")
    elif type_ == "bool":
        raw = struct.pack(">H", 1 if value else 0)
    else:
        fmt = _FORMATS[type_]
        number = float(value) if fmt[-1] in "fd" else int(value)
        raw = reorder(struct.pack(fmt, number), byte_order)
    return list(struct.unpack(f">{len(raw) // 2}H", raw))
