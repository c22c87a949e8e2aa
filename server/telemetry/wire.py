"""Cheap decoding of telemetry batches, with ``mqtt_contract.decode_batch`` as the authority.

Building a pydantic object per sample costs more than everything else the worker does per
row. The fast path here checks the JSON document directly against the same rules as the
contract, but only accepts plain, unambiguous documents (exact JSON types, finite numbers,
no unusual coercions). Anything it is not sure about goes to ``decode_batch``, which either
accepts it (then it is converted to the same shape) or raises with the contract's own error
message. So the fast path accepts a subset of what the contract accepts, never more.

Hostile payloads cannot make decoding recurse: the length is checked first, orjson parses in
Rust with its own depth limit (1024), the fast path only walks the contract's fixed shape,
and the contract measures the nesting depth before its own parser runs.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson

from mqtt_contract.v1 import MAX_PAYLOAD_BYTES, Quality, TelemetryBatch, decode_batch

__all__ = ["WireBatch", "WireSeries", "decode_telemetry"]

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_BATCH_FIELDS = frozenset({"v", "gateway", "sent_at_ms", "series"})
_SERIES_FIELDS = frozenset({"device", "point", "unit", "correction_id", "samples"})
_QUALITIES = frozenset(q.value for q in Quality)
_EXACT_FLOAT_INT = 2**53
_ONLY_LISTS = {list}
_ONLY_INTS = {int}
_FLOATS_OR_NONE = ({float}, {float, type(None)}, {type(None)})
_ONLY_NONE = {type(None)}


@dataclass(frozen=True, slots=True)
class WireSeries:
    """One series, column by column: the ``i``-th sample is ``seqs[i], ts_ms[i], ...``.

    Columns let the worker check timestamps with ``min``/``max`` and encode COPY rows in bulk
    instead of touching every sample in Python.
    """

    device: str
    point: str
    unit: str
    correction_id: str | None
    seqs: tuple[int, ...]
    ts_ms: tuple[int, ...]
    values: tuple[float | None, ...]
    """Validated; ``float`` or ``None``."""
    qualities: tuple[str, ...]

    @property
    def samples(self) -> list[tuple[int, int, float | None, str]]:
        """``(seq, ts_ms, value, quality)`` per sample."""
        return list(zip(self.seqs, self.ts_ms, self.values, self.qualities, strict=True))


@dataclass(frozen=True, slots=True)
class WireBatch:
    gateway: str
    sent_at_ms: int
    series: list[WireSeries]


def decode_telemetry(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> WireBatch:
    """Validate a telemetry payload; raises ``ValueError`` with the contract's reason."""
    if len(payload) > max_bytes:
        raise ValueError(f"payload of {len(payload)} bytes is larger than {max_bytes} bytes")
    try:
        # orjson refuses what json would turn into NaN, infinity or a lone surrogate: those
        # documents go to the contract, which decides with its own message.
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        doc = None
    if doc is not None:
        fast = _fast(doc)
        if fast is not None:
            return fast
    return _from_model(decode_batch(payload, max_bytes))


def _is_key(value: Any) -> TypeGuard[str]:
    return type(value) is str and _KEY.fullmatch(value) is not None


def _is_count(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0


def _fast(doc: Any) -> WireBatch | None:
    """The batch if ``doc`` is plainly valid, else ``None`` (then the contract decides)."""
    if type(doc) is not dict or not _BATCH_FIELDS.issuperset(doc):
        return None
    version = doc.get("v", 1)
    gateway = doc.get("gateway")
    sent_at_ms = doc.get("sent_at_ms")
    raw_series = doc.get("series")
    if (
        type(version) is not int
        or version != 1
        or not _is_key(gateway)
        or not _is_count(sent_at_ms)
    ):
        return None
    if type(raw_series) is not list or not raw_series:
        return None
    series: list[WireSeries] = []
    for s in raw_series:
        if type(s) is not dict or not _SERIES_FIELDS.issuperset(s):
            return None
        device, point, unit = s.get("device"), s.get("point"), s.get("unit")
        correction_id = s.get("correction_id")
        rows = s.get("samples")
        if not (_is_key(device) and _is_key(point)):
            return None
        if type(unit) is not str or not 1 <= len(unit) <= 64:
            return None
        if correction_id is not None and (
            type(correction_id) is not str or len(correction_id) > 64
        ):
            return None
        if type(rows) is not list or not rows:
            return None
        columns = _plain_columns(rows) or _checked_columns(rows)
        if columns is None:
            return None
        series.append(WireSeries(device, point, unit, correction_id, *columns))
    if len(series) > 1:
        # No sequence number twice in a batch (within a series, increasing already says so).
        total = sum(len(s.seqs) for s in series)
        if len(set().union(*(s.seqs for s in series))) != total:
            return None
    return WireBatch(gateway, sent_at_ms, series)


_Columns = tuple[tuple[int, ...], tuple[int, ...], tuple[float | None, ...], tuple[str, ...]]


def _plain_columns(rows: list[Any]) -> _Columns | None:
    """The columns of the common case, checked a column at a time; ``None`` when unsure.

    Every test here is sufficient for the per-sample rules of :func:`_checked_columns`
    (``None`` only sends the rows there): all rows lists of one width, integer ``seq`` and
    ``ts_ms`` with a non-negative minimum, values floats or ``None`` whose sum is finite (a
    NaN or an infinity makes it so; an overflowing sum of large finite values only costs the
    exact check), known qualities, no latency or only ``None``.
    """
    if set(map(type, rows)) != _ONLY_LISTS:
        return None
    widths = set(map(len, rows))
    if len(widths) != 1:
        return None
    width = widths.pop()
    if width == 4:
        seqs, stamps, values, qualities = zip(*rows, strict=True)
    elif width == 5:
        seqs, stamps, values, qualities, latencies = zip(*rows, strict=True)
        if set(map(type, latencies)) != _ONLY_NONE:
            return None
    else:
        return None
    if (
        set(map(type, seqs)) != _ONLY_INTS
        or set(map(type, stamps)) != _ONLY_INTS
        or min(seqs) < 0
        or not all(map(operator.lt, seqs, seqs[1:]))
        or min(stamps) < 0
        or set(map(type, values)) not in _FLOATS_OR_NONE
        # filter(None, ...) leaves out None (and zeros, which are finite anyway).
        or not math.isfinite(sum(filter(None, values)))
    ):
        return None
    try:
        if not _QUALITIES.issuperset(qualities):
            return None
    except TypeError:  # an unhashable quality (a list or an object) is no quality
        return None
    return seqs, stamps, values, qualities


def _checked_columns(rows: list[Any]) -> _Columns | None:
    """The columns, checking sample by sample (ints as values, latencies); ``None`` if unsure."""
    isfinite = math.isfinite
    qualities_known = _QUALITIES
    seqs: list[int] = []
    stamps: list[int] = []
    values: list[float | None] = []
    qualities: list[str] = []
    for row in rows:
        if type(row) is not list:
            return None
        n = len(row)
        if n == 4:
            seq, ts_ms, value, quality = row
        elif n == 5:
            seq, ts_ms, value, quality, latency = row
            if latency is not None:
                latency_type = type(latency)
                if latency_type is int:
                    if not 0 <= latency <= _EXACT_FLOAT_INT:
                        return None
                elif latency_type is not float or not (isfinite(latency) and latency >= 0):
                    return None
        else:
            return None
        if type(seq) is not int or seq < 0 or type(ts_ms) is not int or ts_ms < 0:
            return None
        if seqs and seq <= seqs[-1]:
            return None
        value_type = type(value)
        if value_type is float:
            if not isfinite(value):
                return None
        elif value_type is int:
            if not -_EXACT_FLOAT_INT <= value <= _EXACT_FLOAT_INT:
                return None
            value = float(value)
        elif value is not None:
            return None
        if type(quality) is not str or quality not in qualities_known:
            return None
        seqs.append(seq)
        stamps.append(ts_ms)
        values.append(value)
        qualities.append(quality)
    return tuple(seqs), tuple(stamps), tuple(values), tuple(qualities)


def _from_model(batch: TelemetryBatch) -> WireBatch:
    return WireBatch(
        batch.gateway,
        batch.sent_at_ms,
        [
            WireSeries(
                s.device,
                s.point,
                s.unit,
                s.correction_id,
                tuple(x.seq for x in s.samples),
                tuple(x.ts_ms for x in s.samples),
                tuple(x.value for x in s.samples),
                tuple(x.quality.value for x in s.samples),
            )
            for s in batch.series
        ],
    )
