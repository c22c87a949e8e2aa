"""Gap detection over a gateway's sequence numbers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.telemetry.sequence import SequenceGap, advance_sequence


def test_contiguous_numbers_advance_without_gap() -> None:
    advance = advance_sequence(10, [11, 12, 13])
    assert advance.last_seq == 13
    assert advance.gaps == ()


def test_jump_after_last_seq_is_a_gap() -> None:
    advance = advance_sequence(10, [15, 16])
    assert advance.last_seq == 16
    assert advance.gaps == (SequenceGap(11, 14),)


def test_holes_inside_a_batch_are_gaps() -> None:
    advance = advance_sequence(0, [1, 2, 5, 6, 9])
    assert advance.gaps == (SequenceGap(3, 4), SequenceGap(7, 8))
    assert advance.last_seq == 9


def test_order_within_the_batch_does_not_matter() -> None:
    assert advance_sequence(0, [3, 1, 2]) == advance_sequence(0, [1, 2, 3])


def test_redelivery_and_late_arrivals_neither_gap_nor_go_backwards() -> None:
    advance = advance_sequence(100, [50, 51, 99, 100])
    assert advance.last_seq == 100
    assert advance.gaps == ()


def test_late_arrival_mixed_with_new_numbers_only_gaps_above_last_seq() -> None:
    advance = advance_sequence(100, [40, 101, 103])
    assert advance.gaps == (SequenceGap(102, 102),)
    assert advance.last_seq == 103


def test_first_batch_of_a_new_gateway_starts_history() -> None:
    advance = advance_sequence(None, [500, 501, 503])
    assert advance.last_seq == 503
    assert advance.gaps == (SequenceGap(502, 502),)


def test_empty_batch_changes_nothing() -> None:
    assert advance_sequence(7, []).last_seq == 7
    assert advance_sequence(None, []).last_seq is None


@given(
    last=st.integers(min_value=0, max_value=1000),
    seqs=st.lists(st.integers(min_value=0, max_value=1200), max_size=50),
)
def test_gaps_cover_exactly_the_missing_numbers_above_last_seq(last: int, seqs: list[int]) -> None:
    advance = advance_sequence(last, seqs)
    missing = {n for g in advance.gaps for n in range(g.first_missing, g.last_missing + 1)}
    top = max([last, *seqs])
    assert advance.last_seq == top
    assert missing == set(range(last + 1, top + 1)) - set(seqs)
