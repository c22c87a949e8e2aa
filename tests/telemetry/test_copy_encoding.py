"""The bulk COPY encoder writes exactly the records psycopg's binary dumpers would."""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence

import pytest
from psycopg import postgres
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import Format

from server.telemetry.store import TELEMETRY_COLUMNS, copy_chunks, encode_copy
from server.telemetry.validation import SeriesRows

_TYPES = ("int4", "timestamptz", "float8", "int2", "int8")


def reference(series: Sequence[SeriesRows]) -> bytes:
    """COPY binary data built field by field with psycopg's own dumpers (the old path)."""
    transformer = Transformer()
    transformer.set_dumper_types([postgres.types[t].oid for t in _TYPES], Format.BINARY)
    out = bytearray(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    for rows in series:
        for row in rows.rows():
            out += struct.pack(">h", len(TELEMETRY_COLUMNS))
            for field in transformer.dump_sequence(row, [PyFormat.BINARY] * len(row)):
                if field is None:
                    out += struct.pack(">i", -1)
                else:
                    out += struct.pack(">i", len(field)) + bytes(field)
    return bytes(out + struct.pack(">h", -1))


def random_series(rnd: random.Random, with_nulls: bool) -> SeriesRows:
    count = rnd.randint(1, 40)
    values: list[float | None] = [
        rnd.choice([None, 0.0, -0.0, 1e308, -2.5e-300, rnd.uniform(-1e6, 1e6)])
        if with_nulls
        else rnd.uniform(-1e3, 1e3)
        for _ in range(count)
    ]
    return SeriesRows(
        rnd.randint(1, 2**31 - 1),
        tuple(rnd.randint(0, 2**42) for _ in range(count)),
        values,
        [rnd.randint(0, 4) for _ in range(count)],
        tuple(rnd.randint(0, 2**63 - 1) for _ in range(count)),
    )


@pytest.mark.parametrize("seed", range(20))
def test_records_match_psycopg_dumpers_with_and_without_nulls(seed: int) -> None:
    rnd = random.Random(seed)
    # Mixed series keep their order: NULL-free runs are written in bulk between the others.
    series = [random_series(rnd, with_nulls=rnd.random() < 0.3) for _ in range(rnd.randint(1, 6))]
    assert bytes(encode_copy(series)) == reference(series)


def test_no_rows_is_a_valid_empty_copy() -> None:
    assert bytes(encode_copy([])) == reference([])


def test_a_sequence_number_beyond_bigint_is_refused_before_sending() -> None:
    # The worker files OverflowError under storage_rejected for that message alone.
    with pytest.raises(OverflowError):
        encode_copy([SeriesRows(1, (1_000,), [1.0], [0], (2**63,))])
    with pytest.raises(OverflowError):
        encode_copy([SeriesRows(1, (1_000,), [None], [2], (2**63,))])


@pytest.mark.parametrize("chunk_rows", [1, 7, 50])
def test_chunks_join_into_the_same_data(chunk_rows: int) -> None:
    rnd = random.Random(chunk_rows)
    series = [random_series(rnd, with_nulls=i % 3 == 0) for i in range(8)]
    chunks = list(copy_chunks(series, chunk_rows=chunk_rows))
    assert len(chunks) > 1
    assert b"".join(chunks) == reference(series)
