"""The v1 contract: what both sides rely on."""

from __future__ import annotations

import json

import pytest

from mqtt_contract import (
    GatewayState,
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
