"""The fast telemetry decoder never accepts what the contract refuses, and agrees on data."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, decode_batch, encode
from server.telemetry.wire import WireBatch, _fast, decode_telemetry

awkward = st.one_of(
    st.sampled_from([-1, 1.0, 2.5, True, [], {}]),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["OK", "bad", "", "a\n", "x" * 65, "a b"]),
)


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a valid value, sometimes one a broken gateway might send instead."""
    return st.integers(0, 19).flatmap(lambda i: awkward if i == 0 else valid)


counts = st.integers(min_value=0, max_value=2**40)
keys = mostly(st.sampled_from(["chamber-1", "gw-a", "p.1", "T_2"]))
sample_rows = mostly(
    st.one_of(
        st.tuples(
            mostly(counts),
            mostly(counts),
            mostly(
                st.one_of(
                    st.none(),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.integers(-100, 100),
                )
            ),
            mostly(st.sampled_from(["ok", "stale", "comm_fail", "out_of_range", "bad_unit"])),
        ).map(list),
        st.tuples(
            counts,
            counts,
            st.floats(-10, 10),
            st.sampled_from(["ok", "stale"]),
            mostly(st.one_of(st.none(), st.floats(0, 100), counts)),
        ).map(list),
        st.lists(awkward, max_size=6),
    )
)
series_docs = st.fixed_dictionaries(
    {"device": keys, "point": keys, "unit": mostly(st.sampled_from(["degC", "W", "percent"])),
     "samples": mostly(st.lists(sample_rows, min_size=1, max_size=4))},
    optional={"correction_id": mostly(st.one_of(st.none(), st.text(max_size=3)))},
)  # fmt: skip
batch_docs = st.fixed_dictionaries(
    {"gateway": keys, "sent_at_ms": mostly(counts),
     "series": mostly(st.lists(series_docs, min_size=1, max_size=3))},
    optional={"v": mostly(st.just(1))},
)  # fmt: skip
# A field the contract does not know, now and then, anywhere.
batch_docs = st.tuples(batch_docs, st.integers(0, 9), awkward).map(
    lambda t: {**t[0], "unknown": t[2]} if t[1] == 0 else t[0]
)


def contract_view(batch: TelemetryBatch) -> WireBatch:
    from server.telemetry.wire import _from_model

    return _from_model(batch)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(doc=batch_docs)
def test_decoder_agrees_with_the_contract_on_every_document(doc: dict[str, Any]) -> None:
    payload = json.dumps(doc).encode()
    event("fast path" if _fast(json.loads(payload)) is not None else "left to the contract")
    try:
        expected = contract_view(decode_batch(payload))
    except ValueError:
        with pytest.raises(ValueError):  # noqa: PT011 - any refusal of the contract
            decode_telemetry(payload)
    else:
        assert decode_telemetry(payload) == expected


def _base_document() -> dict[str, Any]:
    return {
        "v": 1,
        "gateway": "gw-a",
        "sent_at_ms": 1_790_000_000_000,
        "series": [
            {"device": "chamber-1", "point": "temperature", "unit": "degC",
             "correction_id": "cert-7", "samples": [[1, 1000, 20.5, "ok"], [2, 2000, None, "stale", 3.5]]},
            {"device": "chamber-1", "point": "power", "unit": "W", "samples": [[3, 1000, 7, "ok", None]]},
        ],
    }  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


_DOCUMENT_PATHS = _paths(_base_document())
_DELETE = object()


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(_DOCUMENT_PATHS),
    replacement=st.one_of(
        awkward,
        st.just(_DELETE),
        st.sampled_from([0, 2**53 + 1, -0.0, "x" * 64, "x" * 65, math.nan, math.inf, -math.inf]),
    ),
)
def test_every_single_defect_is_judged_as_the_contract_judges_it(
    path: tuple[Any, ...], replacement: Any
) -> None:
    doc = _base_document()
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if replacement is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    payload = json.dumps(doc).encode()
    try:
        expected = contract_view(decode_batch(payload))
    except ValueError:
        with pytest.raises(ValueError):  # noqa: PT011 - any refusal of the contract
            decode_telemetry(payload)
    else:
        assert decode_telemetry(payload) == expected


@settings(max_examples=200)
@given(
    values=st.lists(
        st.one_of(
            st.none(), st.floats(allow_nan=False, allow_infinity=False), st.integers(-1000, 1000)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_valid_batches_take_the_fast_path_with_the_same_data(values: list[float | None]) -> None:
    batch = TelemetryBatch(
        gateway="gw-a",
        sent_at_ms=1,
        series=[
            Series(
                device="chamber-1",
                point="temperature",
                unit="degC",
                samples=[Sample(seq=i, ts_ms=1000 + i, value=v) for i, v in enumerate(values)],
            )
        ],
    )
    payload = encode(batch)
    fast = _fast(json.loads(payload))
    assert fast is not None
    assert fast == contract_view(decode_batch(payload))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\xff\xfe", "not JSON"),
        (b'{"v":1,"gateway":"gw-a","sent_at_ms":1,"series":[]}', "series"),
        (b'{"v":1,"gateway":"gw a","sent_at_ms":1,"series":[]}', "gateway"),
    ],
)
def test_refusals_carry_the_contract_reason(payload: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_telemetry(payload)


def test_unusual_but_valid_documents_are_accepted_through_the_contract() -> None:
    # An integer value beyond 2**53 is valid for the contract (a JSON number) but not plain:
    # the fast path steps aside and the contract's answer is used.
    doc = {
        "gateway": "gw-a",
        "sent_at_ms": 1,
        "series": [{"device": "d", "point": "p", "unit": "W", "samples": [[1, 2, 2**60, "ok"]]}],
    }
    assert _fast(doc) is None
    decoded = decode_telemetry(json.dumps(doc).encode())
    assert decoded.sent_at_ms == 1
    assert decoded.series[0].samples == [(1, 2, float(2**60), "ok")]


def _one_sample(row: str, *, sent_at: str = "1", version: str = "1") -> bytes:
    return (
        f'{{"v":{version},"gateway":"gw-a","sent_at_ms":{sent_at},"series":[{{"device":"d",'
        f'"point":"p","unit":"W","samples":[{row}]}}]}}'
    ).encode()


STRICTNESS_CASES = {
    "value as a string": _one_sample('[1,2,"12.5","ok"]'),
    "value as a padded string": _one_sample('[1,2," 12.5 ","ok"]'),
    "value with an underscore": _one_sample('[1,2,"1_000","ok"]'),
    "value true": _one_sample('[1,2,true,"ok"]'),
    "value false": _one_sample('[1,2,false,"ok"]'),
    "latency as a string": _one_sample('[1,2,3.5,"ok","4"]'),
    "latency true": _one_sample('[1,2,3.5,"ok",true]'),
    "seq as a string": _one_sample('["5",2,3.5,"ok"]'),
    "seq as a float": _one_sample('[5.0,2,3.5,"ok"]'),
    "seq true": _one_sample('[true,2,3.5,"ok"]'),
    "ts as a string": _one_sample('[1,"1000",3.5,"ok"]'),
    "ts as a float": _one_sample('[1,1000.0,3.5,"ok"]'),
    "sent_at_ms as a string": _one_sample('[1,2,3.5,"ok"]', sent_at='"1"'),
    "sent_at_ms as a float": _one_sample('[1,2,3.5,"ok"]', sent_at="1.0"),
    "version true": _one_sample('[1,2,3.5,"ok"]', version="true"),
    "version as a float": _one_sample('[1,2,3.5,"ok"]', version="1.0"),
    "seq repeated in a series": _one_sample('[7,2,3.5,"ok"],[7,3,3.5,"ok"]'),
    "seq going back in a series": _one_sample('[8,2,3.5,"ok"],[7,3,3.5,"ok"]'),
    "seq repeated across series": (
        b'{"v":1,"gateway":"gw-a","sent_at_ms":1,"series":['
        b'{"device":"d","point":"p","unit":"W","samples":[[1,2,3.5,"ok"],[2,3,3.5,"ok"]]},'
        b'{"device":"d","point":"q","unit":"W","samples":[[2,2,3.5,"ok"]]}]}'
    ),
}


@pytest.mark.parametrize("payload", STRICTNESS_CASES.values(), ids=STRICTNESS_CASES.keys())
def test_the_server_decoder_refuses_coercions_as_the_contract_does(payload: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the contract's own wording
        decode_batch(payload)
    with pytest.raises(ValueError):  # noqa: PT011
        decode_telemetry(payload)


def test_integer_values_and_latencies_are_numbers() -> None:
    decoded = decode_telemetry(_one_sample('[1,2,12,"ok",3],[2,3,-4,"stale",null]'))
    assert decoded.series[0].samples == [(1, 2, 12.0, "ok"), (2, 3, -4.0, "stale")]


def test_poison_nesting_is_refused_before_any_parser_recurses() -> None:
    poison = b"[" * 1024 + b"]" * 1024  # 2 KiB: RecursionError in the json module before
    with pytest.raises(ValueError, match="nested deeper than 5 levels"):
        decode_telemetry(poison)
    with pytest.raises(ValueError, match="nested deeper than 5 levels"):
        decode_batch(b"[" * 50_000)  # unbalanced as well
    # One level more than a batch needs, inside an otherwise good document.
    with pytest.raises(ValueError, match="nested deeper"):
        decode_telemetry(_one_sample('[1,2,[3.5],"ok"]'))
    # Brackets inside strings are text, not nesting.
    assert decode_telemetry(_one_sample('[1,2,3.5,"ok"]').replace(b'"W"', b'"[[[[[["'))


def test_payloads_over_the_size_limit_are_refused_unread() -> None:
    payload = _one_sample(",".join(f'[{i},{i},1.5,"ok"]' for i in range(30_000)))
    assert len(payload) > 262_144
    with pytest.raises(ValueError, match="larger than 262144 bytes"):
        decode_telemetry(payload)
    assert decode_telemetry(payload, max_bytes=len(payload)).series[0].seqs[-1] == 29_999
