"""The v1 contract: what both sides rely on."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from mqtt_contract import (
    GatewayState,
    Heartbeat,
    Quality,
    Sample,
    Series,
    TelemetryBatch,
    TopicKind,
    decode_batch,
    encode,
    parse_topic,
    shared_subscription,
    topic_for,
)
from mqtt_contract.v1 import MAX_DEPTH, MAX_PAYLOAD_BYTES, check_payload


def _batch() -> TelemetryBatch:
    return TelemetryBatch(
        gateway="gw-01",
        sent_at_ms=1_764_000_000_000,
        series=[
            Series(
                device="chamber-1",
                point="temperature",
                unit="degC",
                correction_id="cert-7",
                samples=[
                    Sample(seq=10, ts_ms=1_764_000_000_000, value=21.5, latency_ms=3.2),
                    Sample(seq=11, ts_ms=1_764_000_001_000, value=None, quality=Quality.COMM_FAIL),
                ],
            )
        ],
    )


def test_batch_round_trips_through_the_wire_form() -> None:
    batch = _batch()
    assert decode_batch(encode(batch)) == batch


def test_samples_travel_as_compact_arrays() -> None:
    doc = json.loads(encode(_batch()))
    assert doc["series"][0]["samples"][0] == [10, 1_764_000_000_000, 21.5, "ok", 3.2]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"v": 2, "gateway": "g", "sent_at_ms": 1, "series": []}', "Input should be 1"),
        (
            b'{"v":1,"gateway":"g","sent_at_ms":1,"series":[{"device":"d","point":"p",'
            b'"unit":"degC","samples":[[1,2,NaN,"ok"]]}]}',
            "finite",
        ),
        (
            b'{"v":1,"gateway":"g","sent_at_ms":1,"series":[{"device":"d","point":"p",'
            b'"unit":"degC","samples":[[1,2]]}]}',
            "a sample is",
        ),
        (
            b'{"v":1,"gateway":"g","sent_at_ms":1,"series":[{"device":"d","point":"p",'
            b'"unit":"degC","samples":[[1,2,3,"great"]]}]}',
            "quality",
        ),
        (
            b'{"v":1,"gateway":"g w","sent_at_ms":1,"series":[{"device":"d","point":"p",'
            b'"unit":"degC","samples":[[1,2,3,"ok"]]}]}',
            "String should match pattern",
        ),
    ],
)
def test_bad_payloads_are_rejected_with_the_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_batch(payload)


def test_topics_round_trip_and_reject_foreign_topics() -> None:
    topic = topic_for("gw-01", TopicKind.TELEMETRY)
    assert topic == "labshare/v1/gw/gw-01/telemetry"
    parsed = parse_topic(topic)
    assert parsed is not None
    assert (parsed.gateway, parsed.kind) == ("gw-01", TopicKind.TELEMETRY)
    assert parse_topic("labshare/v2/gw/gw-01/telemetry") is None
    assert parse_topic("labshare/v1/gw/gw-01/unknown") is None
    assert shared_subscription(TopicKind.TELEMETRY) == "$share/ingest/labshare/v1/gw/+/telemetry"


def test_death_message_is_plain_json() -> None:
    death = GatewayState(gateway="gw-01", status="offline", ts_ms=5)
    assert json.loads(encode(death))["status"] == "offline"


@pytest.mark.parametrize(
    "doc",
    [
        {"spool_depth": "5"},
        {"spool_depth": 5.0},
        {"spool_depth": True},
        {"ts_ms": "1764000000000"},
        {"last_seq": 1.0},
        {"v": True},
    ],
)
def test_heartbeat_integers_are_json_integers(doc: dict[str, object]) -> None:
    good = {"v": 1, "gateway": "gw-01", "ts_ms": 1, "spool_depth": 0,
            "spool_dropped_total": 0, "last_seq": 3}  # fmt: skip
    Heartbeat.model_validate_json(json.dumps(good))
    with pytest.raises(ValidationError):
        Heartbeat.model_validate_json(json.dumps({**good, **doc}))


def test_state_timestamp_is_a_json_integer() -> None:
    with pytest.raises(ValidationError):
        GatewayState.model_validate_json(
            '{"v":1,"gateway":"gw-01","status":"online","ts_ms":"1764000000000"}'
        )


def test_samples_built_in_python_are_strict_too() -> None:
    with pytest.raises(ValidationError):
        Sample(seq=True, ts_ms=1, value=1.0)
    with pytest.raises(ValidationError):
        Sample(seq=1, ts_ms=1, value="1.0")  # type: ignore[arg-type]
    assert Sample(seq=1, ts_ms=1, value=3).value == 3.0


def test_sequence_numbers_increase_within_a_series_and_never_repeat() -> None:
    with pytest.raises(ValidationError, match="must increase within a series"):
        Series(device="d", point="p", unit="W",
               samples=[Sample(seq=2, ts_ms=1, value=1.0), Sample(seq=2, ts_ms=2, value=1.0)])  # fmt: skip
    one = Series(device="d", point="p", unit="W", samples=[Sample(seq=2, ts_ms=1, value=1.0)])
    other = Series(device="d", point="q", unit="W", samples=[Sample(seq=2, ts_ms=1, value=1.0)])
    with pytest.raises(ValidationError, match="appears twice"):
        TelemetryBatch(gateway="gw-01", sent_at_ms=1, series=[one, other])


def test_payload_size_and_depth_limits() -> None:
    check_payload(encode(_batch()))
    with pytest.raises(ValueError, match="larger than"):
        check_payload(b" " * (MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(ValueError, match=f"deeper than {MAX_DEPTH}"):
        check_payload(b"[" * 1000 + b"]" * 1000)
    # Escaped quotes and brackets inside strings do not count.
    check_payload(b'{"a":"x\\"[[[[[[[[","b":[[[[1]]]]}')
