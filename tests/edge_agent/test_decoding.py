from __future__ import annotations

import struct

import pytest

from edge_agent.decoding import decode_block, encode_value, reorder
from edge_agent.planner import plan_reads
from edge_agent.units import UnitProblem, linear_conversion
from mqtt_contract.gateway_config import ModbusPoint


def point(**kw: object) -> ModbusPoint:
    return ModbusPoint.model_validate({"key": "p", "register": "holding", "address": 0, **kw})


def decode_one(p: ModbusPoint, registers: list[int]) -> float | None:
    (block,) = plan_reads([p])
    return decode_block(registers, block.decoders, bits=False)[0]


@pytest.mark.parametrize(
    ("order", "registers"),
    [
        # 123.456 as float32 is 0x42F6E979: bytes A=42 B=F6 C=E9 D=79.
        ("ABCD", [0x42F6, 0xE979]),
        ("CDAB", [0xE979, 0x42F6]),
        ("BADC", [0xF642, 0x79E9]),
        ("DCBA", [0x79E9, 0xF642]),
    ],
)
def test_float32_in_every_byte_order(order: str, registers: list[int]) -> None:
    value = decode_one(point(type="float32", byte_order=order), registers)
    assert value == pytest.approx(123.456, rel=1e-6)
    assert encode_value(123.456, "float32", order) == registers  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("int16", -1234),
        ("uint16", 65535),
        ("int32", -2_000_000_000),
        ("uint32", 4_000_000_000),
        ("int64", -(2**62) - 7),
        ("uint64", 2**63 + 9),
        ("float64", -2.5e-7),
    ],
)
@pytest.mark.parametrize("order", ["ABCD", "CDAB", "BADC", "DCBA"])
def test_integers_and_float64_round_trip(type_: str, value: float, order: str) -> None:
    registers = encode_value(value, type_, order)  # type: ignore[arg-type]
    decoded = decode_one(point(type=type_, byte_order=order), registers)
    assert decoded == pytest.approx(float(value))


def test_int32_cdab_is_word_swapped() -> None:
    assert decode_one(point(type="int32", byte_order="CDAB"), [0x0002, 0x0001]) == 0x00010002
    assert decode_one(point(type="int16"), [0xFFFE]) == -2


def test_strings_hold_numbers_and_swap_bytes() -> None:
    registers = encode_value("23.75", "string")
    assert decode_one(point(type="string", length=6), registers) == 23.75
    swapped = encode_value("-4.5", "string", "BADC")
    assert decode_one(point(type="string", length=4, byte_order="BADC"), swapped) == -4.5
    assert decode_one(point(type="string", length=4), encode_value("OK!!", "string")) is None


def test_nan_becomes_none() -> None:
    nan = list(struct.unpack(">2H", struct.pack(">f", float("nan"))))
    assert decode_one(point(type="float32"), nan) is None


def test_block_decodes_every_point_at_its_offset() -> None:
    points = [
        ModbusPoint.model_validate(
            {"key": "t", "register": "holding", "address": 10, "type": "float32"}
        ),
        ModbusPoint.model_validate(
            {"key": "p", "register": "holding", "address": 16, "type": "uint16"}
        ),
    ]
    (block,) = plan_reads(points)
    registers = [*encode_value(21.5, "float32"), 0, 0, 0, 0, 480]
    assert decode_block(registers, block.decoders, bits=False) == [21.5, 480.0]


def test_bits_decode_to_zero_and_one() -> None:
    points = [
        ModbusPoint.model_validate(
            {"key": f"c{i}", "register": "coil", "address": i, "type": "bool"}
        )
        for i in (0, 2)
    ]
    (block,) = plan_reads(points)
    assert decode_block([True, False, False], block.decoders, bits=True) == [1.0, 0.0]


def test_reorder_is_its_own_inverse() -> None:
    data = bytes(range(8))
    for order in ("ABCD", "CDAB", "BADC", "DCBA"):
        assert reorder(reorder(data, order), order) == data  # type: ignore[arg-type]


def test_scale_offset_and_degf_to_degc_fold_into_one_line() -> None:
    # Register holds tenths of degF with a -40 offset: raw 1120 -> 72.0 degF -> 22.222 degC.
    conversion = linear_conversion("degF", "degC", scale=0.1, offset=-40.0)
    assert conversion(1120) == pytest.approx((72.0 - 32) * 5 / 9)
    assert conversion(0) == pytest.approx((-40 - 32) * 5 / 9)
    kw = linear_conversion("W", "kW")
    assert (kw.gain, kw.bias) == (pytest.approx(0.001), 0.0)


def test_incompatible_units_refuse_conversion() -> None:
    with pytest.raises(UnitProblem, match="'kg' is not compatible with source unit 'degC'"):
        linear_conversion("degC", "kg")
