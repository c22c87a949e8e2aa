"""Which stored samples count as late for the rollup, and which minutes get redone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.telemetry.rollups import minute_ranges
from server.telemetry.store import merge_late_ranges
from server.telemetry.units import UnitConverter
from server.telemetry.validation import (
    LATE_AFTER_MS,
    ChannelDirectory,
    ChannelRef,
    GatewayRef,
    decode_inbound,
    plan_telemetry,
)

NOW_MS = 1_790_000_000_000
GW = GatewayRef(uuid.UUID("00000000-0000-0000-0000-0000000000a1"), "gw-a")
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def at(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def plan_for(*series: Series) -> list[tuple[int, datetime, datetime]]:
    directory = ChannelDirectory()
    directory.replace(
        GW.key,
        GW,
        {
            ("chamber-1", "temperature"): ChannelRef(1, "degC"),
            ("chamber-1", "power"): ChannelRef(2, "W"),
        },
    )
    payload = encode(TelemetryBatch(gateway=GW.key, sent_at_ms=NOW_MS, series=list(series)))
    inbound = decode_inbound(topic_for(GW.key, TopicKind.TELEMETRY), payload)
    return plan_telemetry(inbound, directory, UnitConverter(), NOW_MS).late


def test_a_series_with_an_old_sample_is_reported_late_with_its_whole_range() -> None:
    old, recent = NOW_MS - 3 * 3_600_000, NOW_MS - 1_000
    late = plan_for(
        Series(device="chamber-1", point="temperature", unit="degC",
               samples=[Sample(seq=1, ts_ms=recent, value=1.0), Sample(seq=2, ts_ms=old, value=2.0)]),
        Series(device="chamber-1", point="power", unit="W",
               samples=[Sample(seq=3, ts_ms=recent, value=3.0)]),
    )  # fmt: skip
    assert late == [(1, at(old), at(recent))]


def test_fresh_series_and_refused_series_are_not_reported() -> None:
    edge = NOW_MS - LATE_AFTER_MS
    late = plan_for(
        Series(device="chamber-1", point="temperature", unit="degC",
               samples=[Sample(seq=1, ts_ms=edge, value=1.0)]),
        # Refused (incompatible unit): nothing stored, so nothing to roll up again.
        Series(device="chamber-1", point="power", unit="degC",
               samples=[Sample(seq=2, ts_ms=NOW_MS - 3_600_000, value=1.0)]),
    )  # fmt: skip
    assert late == []


def test_late_ranges_of_one_batch_are_merged_per_channel_when_close() -> None:
    merged = merge_late_ranges(
        [
            (1, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)),
            (2, T0, T0 + timedelta(minutes=1)),
            (1, T0, T0 + timedelta(minutes=5)),
            (1, T0 + timedelta(hours=5), T0 + timedelta(hours=6)),
        ]
    )
    assert merged == [
        (1, T0, T0 + timedelta(minutes=20)),
        (1, T0 + timedelta(hours=5), T0 + timedelta(hours=6)),
        (2, T0, T0 + timedelta(minutes=1)),
    ]


def test_minute_ranges_cover_whole_minutes_below_the_cursor_only() -> None:
    cursor = T0 + timedelta(hours=1)
    ranges = minute_ranges(
        [
            (1, T0 + timedelta(seconds=90), T0 + timedelta(minutes=3, seconds=5)),
            (1, T0 + timedelta(minutes=3, seconds=30), T0 + timedelta(minutes=4)),
            # Runs past the cursor: the regular run redoes that part.
            (2, T0 + timedelta(minutes=59, seconds=1), T0 + timedelta(hours=2)),
            # Wholly after the cursor: nothing for the late pass.
            (3, cursor + timedelta(seconds=1), cursor + timedelta(minutes=1)),
        ],
        cursor,
    )
    assert ranges == [
        (1, T0 + timedelta(minutes=1), T0 + timedelta(minutes=5)),
        (2, T0 + timedelta(minutes=59), cursor),
    ]
