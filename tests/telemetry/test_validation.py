"""What is stored and what is dead-lettered, decided without any service."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from mqtt_contract.v1 import (
    QUALITY_CODES,
    GatewayState,
    Heartbeat,
    Quality,
    Sample,
    Series,
    TelemetryBatch,
    TopicKind,
    encode,
    topic_for,
)
from server.telemetry.units import UnitConverter
from server.telemetry.validation import (
    ChannelDirectory,
    ChannelRef,
    DeadLetterReason,
    GatewayRef,
    GatewayUpdate,
    decode_inbound,
    gateways_to_refresh,
    plan_gateway_update,
    plan_telemetry,
)

NOW_MS = 1_790_000_000_000
GW = GatewayRef(uuid.UUID("00000000-0000-0000-0000-0000000000a1"), "gw-a")
OTHER = GatewayRef(uuid.UUID("00000000-0000-0000-0000-0000000000b2"), "gw-b")


@pytest.fixture(scope="module")
def converter() -> UnitConverter:
    return UnitConverter()


@pytest.fixture
def directory() -> ChannelDirectory:
    d = ChannelDirectory()
    d.replace(
        GW.key,
        GW,
        {
            ("chamber-1", "temperature"): ChannelRef(1, "degC"),
            ("chamber-1", "power"): ChannelRef(2, "W"),
        },
    )
    d.replace(OTHER.key, OTHER, {("oven-9", "temperature"): ChannelRef(3, "degC")})
    return d


def series(device: str, point: str, unit: str, *samples: Sample) -> Series:
    return Series(device=device, point=point, unit=unit, samples=list(samples))


def batch(gateway: str, *s: Series) -> bytes:
    return encode(TelemetryBatch(gateway=gateway, sent_at_ms=NOW_MS, series=list(s)))


def telemetry(gateway: str, payload: bytes):  # type: ignore[no-untyped-def]
    return decode_inbound(topic_for(gateway, TopicKind.TELEMETRY), payload)


def test_valid_batch_becomes_rows_with_converted_units(
    directory: ChannelDirectory, converter: UnitConverter
) -> None:
    payload = batch(
        "gw-a",
        series("chamber-1", "temperature", "degF", Sample(seq=1, ts_ms=NOW_MS, value=212.0)),
        series(
            "chamber-1", "power", "kW",
            Sample(seq=2, ts_ms=NOW_MS, value=1.25, quality=Quality.STALE),
            Sample(seq=3, ts_ms=NOW_MS + 1000, value=None, quality=Quality.COMM_FAIL),
        ),
    )  # fmt: skip
    plan = plan_telemetry(telemetry("gw-a", payload), directory, converter, NOW_MS)
    assert plan.dead_letters == []
    assert plan.gateway == GW
    ts = datetime.fromtimestamp(NOW_MS / 1000, tz=UTC)
    channel, stamp, value, quality, seq = plan.rows[0]
    assert (channel, stamp, quality, seq) == (1, ts, QUALITY_CODES[Quality.OK], 1)
    assert value == pytest.approx(100.0)
    assert plan.rows[1] == (2, ts, 1250.0, QUALITY_CODES[Quality.STALE], 2)
    assert plan.rows[2][2] is None
    assert plan.rows[2][3] == QUALITY_CODES[Quality.COMM_FAIL]
    assert sorted(plan.seqs) == [1, 2, 3]


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[1, 2]",
        b'{"v": 1, "gateway": "gw-a", "sent_at_ms": 1, "series": []}',
        # NaN is not JSON, but Python's parser accepts it: the contract must still refuse it.
        b'{"v":1,"gateway":"gw-a","sent_at_ms":1,"series":[{"device":"chamber-1",'
        b'"point":"temperature","unit":"degC","samples":[[1,1,NaN,"ok"]]}]}',
        b'{"v":1,"gateway":"gw-a","sent_at_ms":1,"series":[{"device":"chamber-1",'
        b'"point":"temperature","unit":"degC","samples":[[1,1,Infinity,"ok"]]}]}',
        b'{"v":2,"gateway":"gw-a","sent_at_ms":1,"series":[{"device":"chamber-1",'
        b'"point":"temperature","unit":"degC","samples":[[1,1,2.0,"ok"]]}]}',
    ],
    ids=["not-json", "not-object", "no-series", "nan", "infinity", "wrong-version"],
)
def test_invalid_payload_is_dead_lettered_whole(
    directory: ChannelDirectory, converter: UnitConverter, payload: bytes
) -> None:
    plan = plan_telemetry(telemetry("gw-a", payload), directory, converter, NOW_MS)
    assert plan.rows == []
    [dead] = plan.dead_letters
    assert dead.reason is DeadLetterReason.INVALID_PAYLOAD
    assert dead.payload == payload
    assert dead.gateway_key == "gw-a"
    assert dead.reason_text.startswith("invalid_payload: ")


def test_payload_naming_another_gateway_is_refused(
    directory: ChannelDirectory, converter: UnitConverter
) -> None:
    payload = batch(
        "gw-b", series("oven-9", "temperature", "degC", Sample(seq=1, ts_ms=NOW_MS, value=1.0))
    )
    plan = plan_telemetry(telemetry("gw-a", payload), directory, converter, NOW_MS)
    assert plan.rows == []
    [dead] = plan.dead_letters
    assert dead.reason is DeadLetterReason.GATEWAY_MISMATCH
    assert "'gw-b'" in dead.detail
    assert "'gw-a'" in dead.detail


def test_unregistered_gateway_is_refused(
    directory: ChannelDirectory, converter: UnitConverter
) -> None:
    directory.replace("gw-x", None, {})
    payload = batch("gw-x", series("d", "p", "degC", Sample(seq=1, ts_ms=NOW_MS, value=1.0)))
    plan = plan_telemetry(telemetry("gw-x", payload), directory, converter, NOW_MS)
    [dead] = plan.dead_letters
    assert dead.reason is DeadLetterReason.UNKNOWN_GATEWAY
    assert plan.seqs == []


def test_bad_series_are_dead_lettered_and_good_series_kept(
    directory: ChannelDirectory, converter: UnitConverter
) -> None:
    payload = batch(
        "gw-a",
        series("chamber-1", "temperature", "degC", Sample(seq=10, ts_ms=NOW_MS, value=25.0)),
        # Another gateway's device: gw-a does not own it.
        series("oven-9", "temperature", "degC", Sample(seq=11, ts_ms=NOW_MS, value=99.0)),
        series("chamber-1", "power", "degC", Sample(seq=12, ts_ms=NOW_MS, value=5.0)),
        series(
            "chamber-1", "humidity", "percent", Sample(seq=13, ts_ms=NOW_MS, value=40.0)
        ),
    )  # fmt: skip
    plan = plan_telemetry(telemetry("gw-a", payload), directory, converter, NOW_MS)
    assert [r[0] for r in plan.rows] == [1]
    reasons = {d.reason: d for d in plan.dead_letters}
    assert set(reasons) == {DeadLetterReason.UNKNOWN_CHANNEL, DeadLetterReason.INCOMPATIBLE_UNIT}
    unknown = [d for d in plan.dead_letters if d.reason is DeadLetterReason.UNKNOWN_CHANNEL]
    assert sorted(d.detail.split(":")[0] for d in unknown) == [
        "series chamber-1/humidity",
        "series oven-9/temperature",
    ]
    assert reasons[DeadLetterReason.INCOMPATIBLE_UNIT].detail.startswith("series chamber-1/power")
    # Every dead letter keeps the raw payload, so nothing is lost.
    assert all(d.payload == payload for d in plan.dead_letters)
    # Samples of refused series were still received: they count for gap detection.
    assert sorted(plan.seqs) == [10, 11, 12, 13]


def test_samples_far_in_the_future_refuse_their_series(
    directory: ChannelDirectory, converter: UnitConverter
) -> None:
    payload = batch(
        "gw-a",
        series("chamber-1", "temperature", "degC", Sample(seq=1, ts_ms=NOW_MS + 299_000, value=1.0)),
        series(
            "chamber-1", "power", "W",
            Sample(seq=2, ts_ms=NOW_MS, value=1.0),
            Sample(seq=3, ts_ms=NOW_MS + 301_000, value=1.0),
        ),
    )  # fmt: skip
    plan = plan_telemetry(telemetry("gw-a", payload), directory, converter, NOW_MS)
    assert [r[0] for r in plan.rows] == [1]
    [dead] = plan.dead_letters
    assert dead.reason is DeadLetterReason.FUTURE_TIMESTAMP
    assert dead.detail.startswith("series chamber-1/power")


def test_state_messages_update_status_and_config_hash(directory: ChannelDirectory) -> None:
    state = GatewayState(gateway="gw-a", status="offline", ts_ms=NOW_MS, config_hash="abc")
    update = plan_gateway_update(
        decode_inbound(topic_for("gw-a", TopicKind.STATE), encode(state)), directory
    )
    assert update == GatewayUpdate(GW.id, "offline", "abc")


def test_heartbeat_marks_gateway_online(directory: ChannelDirectory) -> None:
    beat = Heartbeat(gateway="gw-a", ts_ms=NOW_MS, spool_depth=0, spool_dropped_total=0, last_seq=5)
    update = plan_gateway_update(
        decode_inbound(topic_for("gw-a", TopicKind.HEARTBEAT), encode(beat)), directory
    )
    # The heartbeat itself is kept too: the gateways API shows its spool depth and lag.
    assert update == GatewayUpdate(GW.id, "online", None, beat)


def test_state_for_another_gateway_is_refused(directory: ChannelDirectory) -> None:
    state = GatewayState(gateway="gw-b", status="offline", ts_ms=NOW_MS)
    refused = plan_gateway_update(
        decode_inbound(topic_for("gw-a", TopicKind.STATE), encode(state)), directory
    )
    assert not isinstance(refused, GatewayUpdate)
    assert refused.reason is DeadLetterReason.GATEWAY_MISMATCH


def test_broken_state_payload_is_invalid(directory: ChannelDirectory) -> None:
    payload = json.dumps({"v": 1, "gateway": "gw-a", "status": "sleepy", "ts_ms": 1}).encode()
    refused = plan_gateway_update(
        decode_inbound(topic_for("gw-a", TopicKind.STATE), payload), directory
    )
    assert not isinstance(refused, GatewayUpdate)
    assert refused.reason is DeadLetterReason.INVALID_PAYLOAD
    assert "status" in refused.detail


def test_directory_refresh_on_miss_and_age() -> None:
    directory = ChannelDirectory(max_age_s=60, miss_retry_s=1)
    known = telemetry(
        "gw-a",
        batch(
            "gw-a", series("chamber-1", "temperature", "degC", Sample(seq=1, ts_ms=1, value=1.0))
        ),
    )
    unknown_point = telemetry(
        "gw-a",
        batch("gw-a", series("chamber-1", "new-point", "W", Sample(seq=1, ts_ms=1, value=1.0))),
    )
    assert gateways_to_refresh([known], directory, now=100.0) == {"gw-a"}
    directory.replace("gw-a", GW, {("chamber-1", "temperature"): ChannelRef(1, "degC")}, now=100.0)
    assert gateways_to_refresh([known], directory, now=100.5) == set()
    # A miss is retried, but not more than once per miss_retry_s.
    assert gateways_to_refresh([unknown_point], directory, now=100.5) == set()
    assert gateways_to_refresh([unknown_point], directory, now=101.5) == {"gw-a"}
    # Entries expire so changed channels are picked up without a miss.
    assert gateways_to_refresh([known], directory, now=161.0) == {"gw-a"}
    # A payload on another gateway's topic is refused without any lookup.
    assert gateways_to_refresh([telemetry("gw-z", known.payload)], directory, now=100.5) == set()
