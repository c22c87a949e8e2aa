"""The inspection message of the MQTT contract: strict JSON types, order, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mqtt_contract.inspection_v1 import InspectionBatch, decode_inspection
from mqtt_contract.v1 import TopicKind, parse_topic, topic_for
from server.telemetry.validation import DeadLetterReason, decode_inbound


def result(**overrides: Any) -> dict[str, Any]:
    doc = {
        "seq": 1, "ts_ms": 1_764_680_000_000, "product": "shaft-40", "characteristic": "diameter",
        "value": 25.001, "unit": "mm", "part": "S-1", "subgroup": None, "operator": "op-7",
    }  # fmt: skip
    doc.update(overrides)
    return doc


def batch(*results: dict[str, Any], **overrides: Any) -> bytes:
    doc = {"v": 1, "gateway": "gw-1", "sent_at_ms": 1, "station": "gauge-1",
           "results": list(results) or [result()]}  # fmt: skip
    doc.update(overrides)
    return json.dumps(doc).encode()


def test_a_plain_batch_decodes() -> None:
    decoded = decode_inspection(batch(result(), result(seq=2, value=25)))
    assert isinstance(decoded, InspectionBatch)
    assert [r.value for r in decoded.results] == [25.001, 25.0]
    assert parse_topic(topic_for("gw-1", TopicKind.INSPECTION)).kind is TopicKind.INSPECTION  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        (batch(result(value="25.001")), "value"),
        (batch(result(value=True)), "value"),
        (batch(result(seq=1.0)), "seq"),
        (batch(result(seq="1")), "seq"),
        (batch(result(ts_ms=True)), "ts_ms"),
        (batch(v=1.0), "v"),
        (batch(v=2), "v"),
        (batch(result(seq=2), result(seq=2)), "increase"),
        (batch(result(seq=3), result(seq=2)), "increase"),
        (batch(result(characteristic="bad/key")), "characteristic"),
        (batch(result(extra=1)), "extra"),
        (batch(result(part="a\nb")), "part"),
        (
            b'{"v":1,"gateway":"gw-1","sent_at_ms":1,"station":"s","results":['
            + json.dumps(result(value=1)).encode()[:-1]
            + b',"value":NaN}]}',
            "finite",
        ),
        (b"[]", "object"),
        (b"not json", "JSON"),
    ],
)
def test_loose_types_and_bad_order_are_refused(doc: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        decode_inspection(doc)


def test_ingest_decoder_dead_letters_bad_inspection_payloads_with_the_reason() -> None:
    topic = topic_for("gw-1", TopicKind.INSPECTION)
    good = decode_inbound(topic, batch())
    assert good.error is None
    assert isinstance(good.message, InspectionBatch)
    bad = decode_inbound(topic, batch(result(value="1.0")))
    assert bad.message is None
    assert bad.error_reason is DeadLetterReason.INVALID_PAYLOAD
    assert bad.error is not None
    assert "value" in bad.error


def test_an_offset_beyond_what_postgresql_stores_is_taken_as_its_instant_in_utc() -> None:
    from datetime import UTC, datetime

    from server.inspection.schemas import ResultIn

    result = ResultIn.model_validate({"ts": "2026-06-12T10:40:05-23:43", "value": 25.0})
    assert result.ts.utcoffset() is not None
    assert result.ts.tzinfo is UTC
    assert result.ts == datetime(2026, 6, 13, 10, 23, 5, tzinfo=UTC)
