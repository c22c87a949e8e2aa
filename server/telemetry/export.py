"""CSV and Parquet export of an instrument's telemetry over a range.

CSV is what people open in Excel here: UTF-8 with a byte-order mark (otherwise Excel shows
the Chinese headers as mojibake), times in Asia/Shanghai with their offset, one row per
sample ("long" format, so channels sampled at different instants need no filling).
Parquet keeps exact types: a timezone-aware timestamp column (Asia/Shanghai), the value as
a double, the quality as a string.

Program runs the instrument reported in the range (:mod:`server.telemetry.programs`, e.g. a
LADS program and its result) are part of the data: rows stamped with the run's end, one per
identifier (program, result id, outcome, start) and one per result value, on channels
``<device>/<unit>.program``, ``....result.<key>`` and so on. Their run id is in the column
``运行 run`` and any text in ``文本 text``; a CSV has these two columns only when the range
holds a run (a Parquet file always has them, empty when there is none).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mqtt_contract.v1 import QUALITY_CODES
from server.catalog.models import Channel
from server.core.errors import ValidationFailed
from server.core.spreadsheet import safe_row
from server.telemetry.programs import StoredRun

__all__ = [
    "CSV_HEADER",
    "EXPORT_TIMEZONE",
    "MAX_EXPORT_ROWS",
    "RUN_COLUMNS",
    "ExportFormat",
    "ExportRow",
    "export_rows",
    "run_rows",
    "to_csv",
    "to_parquet",
    "with_runs",
]

EXPORT_TIMEZONE = ZoneInfo("Asia/Shanghai")
# One request, one response in memory: larger ranges are exported in parts.
MAX_EXPORT_ROWS = 2_000_000
CSV_HEADER = (
    "时间 time (Asia/Shanghai)",
    "通道 channel",
    "名称 name",
    "单位 unit",
    "数值 value",
    "质量 quality",
)
RUN_COLUMNS = ("运行 run", "文本 text")
_QUALITY_BY_CODE = {code: quality.value for quality, code in QUALITY_CODES.items()}


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.apache.parquet"


@dataclass(frozen=True, slots=True)
class ExportRow:
    ts: datetime
    channel: str
    name: str
    unit: str
    value: float | None
    quality: str
    run: str | None = None
    text: str | None = None


_OUTCOMES = {"completed": "完成 completed", "aborted": "中止 aborted"}


def run_rows(runs: Sequence[StoredRun]) -> list[ExportRow]:
    """The rows that carry program runs: identifiers first, then the result values."""
    rows: list[ExportRow] = []
    for run in runs:
        ts = run.ended_at.astimezone(EXPORT_TIMEZONE)
        prefix = f"{run.device_key}/{run.unit_key}"
        started = run.started_at
        for suffix, name, note in (
            ("program", "程序 program", run.program),
            ("result_id", "结果编号 result id", run.result_id),
            ("outcome", "结束方式 outcome", _OUTCOMES.get(run.outcome, run.outcome)),
            (
                "started",
                "开始 started",
                None
                if started is None
                else started.astimezone(EXPORT_TIMEZONE).isoformat(timespec="milliseconds"),
            ),
        ):
            rows.append(ExportRow(ts, f"{prefix}.{suffix}", name, "", None, "", run.run_id, note))
        for result in run.results:
            value = result.get("value")
            rows.append(
                ExportRow(
                    ts,
                    f"{prefix}.result.{result.get('key', '')}",
                    str(result.get("name", "")),
                    str(result.get("unit") or ""),
                    float(value) if isinstance(value, int | float) else None,
                    "ok" if isinstance(value, int | float) or result.get("text") else "",
                    run.run_id,
                    result.get("text"),
                )
            )
    return rows


def with_runs(rows: list[ExportRow], runs: Sequence[StoredRun]) -> list[ExportRow]:
    """Samples and program-run rows together, by time (samples first at equal times)."""
    if not runs:
        return rows
    return sorted([*rows, *run_rows(runs)], key=lambda r: r.ts)


async def export_rows(
    conn: AsyncConnection,
    channels: Sequence[Channel],
    windows: Sequence[tuple[datetime, datetime]],
) -> list[ExportRow]:
    """Samples of ``channels`` inside ``windows``, by time then channel."""
    by_id = {c.id: c for c in channels if c.id is not None}
    rows: list[ExportRow] = []
    for start, end in windows:
        result = await conn.execute(
            text(
                "SELECT channel_id, ts, value, quality FROM telemetry"
                " WHERE channel_id = ANY(:ids) AND ts >= :start AND ts < :end"
                " ORDER BY ts, channel_id LIMIT :limit"
            ),
            {"ids": list(by_id), "start": start, "end": end, "limit": MAX_EXPORT_ROWS + 1},
        )
        for channel_id, ts, value, quality in result:
            channel = by_id[channel_id]
            rows.append(
                ExportRow(
                    ts.astimezone(EXPORT_TIMEZONE),
                    f"{channel.device_key}/{channel.point_key}",
                    channel.name,
                    channel.canonical_unit,
                    value,
                    _QUALITY_BY_CODE.get(quality, str(quality)),
                )
            )
        if len(rows) > MAX_EXPORT_ROWS:
            raise ValidationFailed.for_field(
                "end",
                f"the range holds more than {MAX_EXPORT_ROWS:,} samples; export it in parts",
            )
    return rows


def to_csv(rows: Sequence[ExportRow]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    runs = any(row.run is not None for row in rows)
    writer.writerow(CSV_HEADER + RUN_COLUMNS if runs else CSV_HEADER)
    for row in rows:
        cells: tuple[str, ...] = (
            row.ts.isoformat(timespec="milliseconds"),
            row.channel,
            row.name,
            row.unit,
            "" if row.value is None else repr(row.value),
            row.quality,
        )
        if runs:
            cells += (row.run or "", row.text or "")
        writer.writerow(safe_row(cells))
    return buffer.getvalue().encode("utf-8")


def to_parquet(rows: Sequence[ExportRow]) -> bytes:
    # Imported here: pyarrow is large and only exports need it.
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    table = pa.table(
        {
            "time": pa.array(
                [r.ts for r in rows], type=pa.timestamp("ms", tz=str(EXPORT_TIMEZONE))
            ),
            "channel": pa.array([r.channel for r in rows], type=pa.string()),
            "name": pa.array([r.name for r in rows], type=pa.string()),
            "unit": pa.array([r.unit for r in rows], type=pa.string()),
            "value": pa.array([r.value for r in rows], type=pa.float64()),
            "quality": pa.array([r.quality for r in rows], type=pa.string()),
            "run": pa.array([r.run for r in rows], type=pa.string()),
            "text": pa.array([r.text for r in rows], type=pa.string()),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
