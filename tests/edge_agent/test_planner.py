from __future__ import annotations

from edge_agent.planner import RequestPlanner, plan_reads
from mqtt_contract.gateway_config import ModbusPoint


def p(key: str, address: int, type_: str = "uint16", register: str = "holding") -> ModbusPoint:
    return ModbusPoint.model_validate(
        {"key": key, "register": register, "address": address, "type": type_}
    )


def spans(blocks: list) -> list[tuple[str, int, int]]:  # type: ignore[type-arg]
    return [(b.kind, b.start, b.count) for b in blocks]


def test_nearby_points_merge_into_one_read() -> None:
    points = [
        p("t", 0, "float32"),
        p("sp", 2, "float32"),
        p("h", 4, "float32"),
        p("pw", 6),
        p("st", 7),
    ]
    assert spans(plan_reads(points)) == [("holding", 0, 8)]


def test_gap_larger_than_max_gap_splits() -> None:
    points = [p("a", 0), p("b", 5), p("c", 30)]
    assert spans(plan_reads(points, max_gap=4)) == [("holding", 0, 6), ("holding", 30, 1)]
    assert spans(plan_reads(points, max_gap=0)) == [
        ("holding", 0, 1),
        ("holding", 5, 1),
        ("holding", 30, 1),
    ]
    assert spans(plan_reads(points, max_gap=30)) == [("holding", 0, 31)]


def test_kinds_are_never_mixed() -> None:
    points = [
        p("a", 0),
        p("b", 1, register="input"),
        p("c", 0, "bool", "coil"),
        p("d", 3, "bool", "coil"),
    ]
    assert spans(plan_reads(points)) == [("coil", 0, 4), ("holding", 0, 1), ("input", 1, 1)]


def test_protocol_limits_are_respected() -> None:
    registers = [p(f"r{i}", i * 2, "float32") for i in range(100)]  # 200 registers
    blocks = plan_reads(registers, max_gap=8)
    assert all(b.count <= 125 for b in blocks)
    assert sum(len(b.points) for b in blocks) == 100
    assert spans(blocks) == [("holding", 0, 124), ("holding", 124, 76)]
    bits = [p(f"c{i}", i, "bool", "coil") for i in range(2500)]
    assert [b.count for b in plan_reads(bits)] == [2000, 500]
    assert [b.count for b in plan_reads(registers, max_registers=50)] == [50, 50, 50, 50]


def test_overlapping_points_share_a_read() -> None:
    points = [p("whole", 0, "uint32"), p("low", 1)]
    (block,) = plan_reads(points)
    assert (block.start, block.count) == (0, 2)
    assert [d.offset for d in block.decoders] == [0, 1]


def test_refused_block_falls_back_point_by_point_and_remembers_holes() -> None:
    planner = RequestPlanner([p("a", 0), p("b", 2), p("c", 4)], max_gap=4)
    (block,) = planner.blocks
    assert planner.illegal_address(block) == []
    assert spans(planner.blocks) == [("holding", 0, 1), ("holding", 2, 1), ("holding", 4, 1)]
    hole_block = planner.blocks[1]
    assert planner.illegal_address(hole_block) == ["b"]
    assert planner.holes == {"b"}
    assert [b.points[0].key for b in planner.blocks] == ["a", "c"]
