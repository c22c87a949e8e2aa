"""Gaps in a gateway's sequence numbers.

Every sample carries the gateway's sequence number, strictly increasing per gateway. The
server keeps, per gateway, the highest sequence number it has committed (``gateway.last_seq``).
When a write brings numbers above it, any number between ``last_seq + 1`` and the highest new
one that is not among the new numbers is recorded as missing, as inclusive ranges. Numbers at
or below ``last_seq`` (redeliveries, or late arrivals that fill an earlier gap) never create a
gap and never move ``last_seq`` backwards. A gateway with no ``last_seq`` yet starts its
history at its first committed number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SequenceAdvance", "SequenceGap", "advance_sequence"]


@dataclass(frozen=True, slots=True)
class SequenceGap:
    first_missing: int
    last_missing: int

    @property
    def size(self) -> int:
        return self.last_missing - self.first_missing + 1


@dataclass(frozen=True, slots=True)
class SequenceAdvance:
    last_seq: int | None
    gaps: tuple[SequenceGap, ...]


def advance_sequence(last_seq: int | None, seqs: Iterable[int]) -> SequenceAdvance:
    """The new ``last_seq`` and the gaps revealed by committing ``seqs``."""
    fresh = sorted({s for s in seqs if last_seq is None or s > last_seq})
    if not fresh:
        return SequenceAdvance(last_seq, ())
    gaps: list[SequenceGap] = []
    previous = fresh[0] - 1 if last_seq is None else last_seq
    for seq in fresh:
        if seq > previous + 1:
            gaps.append(SequenceGap(previous + 1, seq - 1))
        previous = seq
    return SequenceAdvance(fresh[-1], tuple(gaps))
