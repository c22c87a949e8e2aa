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
    REASON_TEXT_MAX_CHARS,
    ChannelDirectory,
    ChannelRef,
    DeadLetter,
    DeadLetterLimiter,
    DeadLetterReason,
    GatewayRef,
    GatewayUpdate,
    Refusal,
    decode_inbound,
    gateways_to_refresh,
    plan_gateway_update,
    plan_telemetry,
    refused_inbound,
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
    # One dead letter for the message, one reason per refused series, the payload once.
    [dead] = plan.dead_letters
    assert [(r.reason, r.series) for r in dead.refusals] == [
        (DeadLetterReason.UNKNOWN_CHANNEL, "oven-9/temperature"),
        (DeadLetterReason.INCOMPATIBLE_UNIT, "chamber-1/power"),
        (DeadLetterReason.UNKNOWN_CHANNEL, "chamber-1/humidity"),
    ]
    assert dead.payload == payload
    # Series refused for the same reason share one entry of the stored text.
    assert dead.reason_text.startswith(
        "unknown_channel: series oven-9/temperature, chamber-1/humidity: gateway 'gw-a' has no "
        "channel for this device point; incompatible_unit: series chamber-1/power: "
    )
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


def test_decoding_never_raises_whatever_the_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    topic = "labshare/v1/gw/gw-a/telemetry"
    poison = decode_inbound(topic, b"[" * 1024 + b"]" * 1024)
    assert poison.message is None
    assert poison.error_reason is DeadLetterReason.INVALID_PAYLOAD
    assert "nested deeper than 5 levels" in (poison.error or "")
    for kind in ("state", "heartbeat"):
        deep = decode_inbound(f"labshare/v1/gw/gw-a/{kind}", b'{"v":' + b"[" * 3000)
        assert deep.message is None
        assert "nested deeper" in (deep.error or "")

    def explode(payload: bytes, max_bytes: int = 0) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("server.telemetry.validation.decode_telemetry", explode)
    broken = decode_inbound(topic, batch("gw-a", series("chamber-1", "power", "W",
                                                        Sample(seq=1, ts_ms=1, value=1.0))))  # fmt: skip
    assert broken.message is None
    assert broken.error_reason is DeadLetterReason.INGEST_ERROR
    assert "RecursionError" in (broken.error or "")
    dead = refused_inbound(broken)
    assert dead.reason_text.startswith("ingest_error: the decoder failed on this payload")
    assert dead.payload == broken.payload


def test_oversized_payloads_are_refused_and_only_a_prefix_kept() -> None:
    payload = b'{"v":1,' + b" " * 300_000 + b"}"
    inbound = decode_inbound("labshare/v1/gw/gw-a/telemetry", payload)
    assert inbound.error_reason is DeadLetterReason.PAYLOAD_TOO_LARGE
    dead = refused_inbound(inbound)
    assert dead.reason_text.startswith("payload_too_large: payload of 300008 bytes")
    assert dead.payload == payload[:1024]
    smaller_limit = decode_inbound("labshare/v1/gw/gw-a/heartbeat", b"{}", max_payload_bytes=1)
    assert smaller_limit.error_reason is DeadLetterReason.PAYLOAD_TOO_LARGE


def test_four_hundred_unknown_points_make_one_dead_letter_with_a_short_reason(
    directory: ChannelDirectory, converter: UnitConverter
) -> None:
    payload = batch(
        "gw-a",
        *(series("chamber-1", f"p{i}", "W", Sample(seq=i, ts_ms=NOW_MS, value=1.0))
          for i in range(400)),
    )  # fmt: skip
    plan = plan_telemetry(telemetry("gw-a", payload), directory, converter, NOW_MS)
    [dead] = plan.dead_letters
    assert dead.payload == payload
    assert len(dead.refusals) == 400
    text = dead.reason_text
    assert text.startswith("unknown_channel: series chamber-1/p0, chamber-1/p1, ")
    assert "chamber-1/p399: gateway 'gw-a' has no channel for this device point" in text
    assert len(text) < 7_000  # the payload (about 30 KB) is stored once, not 400 times


def test_the_reason_text_is_capped() -> None:
    refusals = tuple(
        Refusal(DeadLetterReason.INCOMPATIBLE_UNIT, f"unit 'x{i}' is unknown " * 5, f"d/p{i}")
        for i in range(2000)
    )
    dead = DeadLetter("t", "gw-a", refusals, b"{}")
    assert len(dead.reason_text) <= REASON_TEXT_MAX_CHARS
    assert dead.reason_text.endswith("2000 reasons in all, the payload holds every series)")


def test_dead_letters_beyond_the_limit_are_counted_in_one_summary() -> None:
    limiter = DeadLetterLimiter(per_minute=3, summary_after_s=60.0)

    def letter(gateway: str, reason: DeadLetterReason) -> DeadLetter:
        return DeadLetter.of(f"labshare/v1/gw/{gateway}/telemetry", gateway, reason, "x", b"{}")

    admitted = [limiter.admit(letter("gw-a", DeadLetterReason.INVALID_PAYLOAD), now=100.0)
                for _ in range(10)]  # fmt: skip
    assert admitted == [True] * 3 + [False] * 7
    # Another gateway has its own bucket.
    assert limiter.admit(letter("gw-b", DeadLetterReason.INVALID_PAYLOAD), now=100.0)
    assert not limiter.admit(letter("gw-a", DeadLetterReason.UNKNOWN_CHANNEL), now=101.0)
    assert limiter.pending == 8
    assert limiter.summaries(now=130.0) == []  # not a minute yet
    [summary] = limiter.summaries(now=160.0)
    assert summary.gateway_key == "gw-a"
    assert summary.payload is None
    assert summary.reason is DeadLetterReason.SUPPRESSED
    assert "8 dead letters of 'gw-a' were not stored" in summary.detail
    assert summary.detail.endswith("(limit 3 a minute): invalid_payload 7, unknown_channel 1")
    assert limiter.pending == 0
    # Tokens come back at the configured rate: one every 20 s here.
    assert limiter.admit(letter("gw-a", DeadLetterReason.INVALID_PAYLOAD), now=160.0)
    assert limiter.summaries(now=1000.0, flush=True) == []
