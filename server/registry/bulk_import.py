"""Bulk import of instruments from the spreadsheet institutions keep for the national large
instrument sharing platform (docs/registry-and-calibration.md, "Bulk import").

- :func:`template_workbook`: the XLSX template (Chinese headers in row 1, English in row 2,
  lists for the enumerations, an example on a sheet of its own);
- :func:`import_instruments`: reads an uploaded workbook, validates every row and answers
  every error with its row, column and a stable code; without errors (and not a dry run) it
  creates or updates all instruments in the request's one transaction, each with its audit entry.

Rows are keyed by the asset number (资产编号), unique within an institution: a row whose number
the institution already holds updates that instrument (re-importing a sheet is idempotent), a
number twice in one file is an error on the second row.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.models import AuditLog
from server.audit.trail import snapshot
from server.auth.models import AppUser
from server.auth.tenancy import may_manage_organisation, require_catalogue_manager
from server.catalog.models import Instrument, Lab
from server.core.errors import AppError, Conflict, FieldError, NotFound, ValidationFailed
from server.core.spreadsheet import safe_row
from server.registry.models import ServiceMode

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "XLSX_MEDIA_TYPE",
    "ImportReport",
    "ImportRowError",
    "ImportRowResult",
    "error_workbook",
    "import_instruments",
    "template_workbook",
]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
DATA_SHEET = "仪器 Instruments"
EXAMPLE_SHEET = "示例 Example"
FIRST_DATA_ROW = 3  # row 1: Chinese headers, row 2: English headers

# The top-level classes of the national platform's instrument classification
# (重大科研基础设施和大型科研仪器国家网络管理平台).
CATEGORIES = (
    "分析仪器",
    "物理性能测试仪器",
    "计量仪器",
    "电子测量仪器",
    "海洋仪器",
    "地球探测仪器",
    "大气探测仪器",
    "特种检测仪器",
    "激光器",
    "工艺试验仪器",
    "计算机及其配套设备",
    "天文仪器",
    "医学科研仪器",
    "核仪器",
    "其他仪器",
)
SERVICE_MODE_WORDS: dict[str, ServiceMode] = {
    "自主操作": ServiceMode.SELF_OPERATED,
    "self_operated": ServiceMode.SELF_OPERATED,
    "self-operated": ServiceMode.SELF_OPERATED,
    "委托测试": ServiceMode.STAFF_OPERATED,
    "staff_operated": ServiceMode.STAFF_OPERATED,
    "staff-operated": ServiceMode.STAFF_OPERATED,
}
SERVICE_MODE_CHOICES = ("委托测试", "自主操作", "自主操作、委托测试")
YES = ("是", "yes", "y", "true", "1")
NO = ("否", "no", "n", "false", "0")
TEXT_MAX = 200
LONG_TEXT_MAX = 5000
# numeric(14, 2) in yuan: below 10^12 yuan, i.e. 10^8 万元.
VALUE_LIMIT_WAN = Decimal(10) ** 8
WAN = Decimal(10000)
FEN = Decimal("0.01")
EARLIEST = date(1970, 1, 1)

Kind = Literal[
    "text", "long_text", "date", "wan_yuan", "category", "service_modes", "yes_no", "email"
]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    kind: Kind
    required: bool
    example: Any


COLUMNS: tuple[Column, ...] = (
    Column("name", "仪器名称", "Instrument name", "text", True, "高低温湿热试验箱"),
    Column("name_en", "英文名称", "English name", "text", False, "Temperature-humidity chamber"),
    Column("category", "仪器分类", "Category", "category", True, "特种检测仪器"),
    Column("model", "规格型号", "Model", "text", False, "SH-641"),
    Column("manufacturer", "生产制造商", "Manufacturer", "text", False, "爱斯佩克"),
    Column("country_of_origin", "产地国别", "Country of origin", "text", False, "中国"),
    Column("original_value", "原值（万元）", "Original value (10,000 CNY)", "wan_yuan", True, 38.6),
    Column("purchase_date", "购置日期", "Purchase date", "date", False, date(2021, 5, 12)),
    Column("commissioned_on", "启用日期", "Commissioning date", "date", False, date(2021, 6, 1)),
    Column("asset_number", "资产编号", "Asset number", "text", True, "ZJIM-2021-0158"),
    Column("location", "安放地址", "Location", "text", False, "杭州市下城区和平路 1 号 3 楼"),
    Column(
        "technical_specifications",
        "主要技术指标",
        "Main technical specifications",
        "long_text",
        False,
        "温度范围 -70 ℃～150 ℃；湿度范围 20%～98% RH",
    ),
    Column("main_functions", "主要功能", "Main functions", "long_text", False, "高低温、湿热试验"),
    Column("accessories", "主要附件", "Main accessories", "long_text", False, "数据记录仪"),
    Column("contact_name", "联系人", "Contact person", "text", False, "李晓梅"),
    Column("contact_phone", "电话", "Phone", "text", False, "0571-85021234"),
    Column("contact_email", "邮箱", "E-mail", "email", False, "lab@zjim.example.cn"),
    Column("service_modes", "服务方式", "Service modes", "service_modes", True, "委托测试"),
    Column("is_open", "开放共享", "Open for sharing", "yes_no", True, "是"),
)
_BY_HEADER = {c.zh: c for c in COLUMNS}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Excel writes characters XML cannot hold as _xHHHH_; openpyxl leaves them escaped.
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


# ---------------------------------------------------------------------------------------------
# Problems the whole file gets (RFC 9457; ``code`` is stable for the web's translations).


class ImportFileNotXlsx(AppError):
    status = 415
    slug = "import-not-xlsx"
    title = "Not an XLSX workbook"


class ImportFileTooLarge(AppError):
    status = 413
    slug = "import-too-large"
    title = "The file is too large"


class ImportSheetInvalid(ValidationFailed):
    slug = "import-sheet-invalid"
    title = "The sheet cannot be imported"


class ImportRowsInvalid(ValidationFailed):
    slug = "import-rows-invalid"
    title = "Some rows are not valid"


def _not_xlsx(reason: str, detail: str) -> ImportFileNotXlsx:
    return ImportFileNotXlsx(detail, extensions={"code": "import_not_xlsx", "reason": reason})


def _sheet_invalid(code: str, detail: str, **extra: Any) -> ImportSheetInvalid:
    return ImportSheetInvalid(
        detail, errors=[FieldError("file", detail)], extensions={"code": code, **extra}
    )


# ---------------------------------------------------------------------------------------------
# The report.


class ImportRowError(BaseModel):
    """One problem of one row: ``row`` as the spreadsheet numbers it, the column's headers."""

    row: int
    column: str | None
    column_en: str | None
    code: str
    message: str


class ImportRowResult(BaseModel):
    row: int
    asset_number: str
    action: Literal["create", "update", "unchanged"]
    # Set when the instrument exists (after a real import, or an update in a dry run).
    instrument_id: uuid.UUID | None = None


class ImportReport(BaseModel):
    dry_run: bool
    # True when the instruments were stored (never in a dry run or with errors).
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportRowError]
    results: list[ImportRowResult]


class _RowError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------------------------
# The template.


def template_workbook() -> bytes:
    """The XLSX template: data sheet with both header rows and enumeration lists, an example
    sheet with one filled row."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    example = workbook.create_sheet(EXAMPLE_SHEET)
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for target in (sheet, example):
        target.append(safe_row(c.zh for c in COLUMNS))
        target.append(safe_row(c.en for c in COLUMNS))
        target.freeze_panes = f"A{FIRST_DATA_ROW}"
        for index, column in enumerate(COLUMNS, start=1):
            header = target.cell(row=1, column=index)
            header.font = bold
            if column.required:
                header.fill = required_fill
            target.column_dimensions[get_column_letter(index)].width = max(
                14, min(40, len(column.en) + 4)
            )
    example.append(safe_row(c.example for c in COLUMNS))
    for index, column in enumerate(COLUMNS, start=1):
        if column.kind == "date":
            example.cell(row=FIRST_DATA_ROW, column=index).number_format = "yyyy-mm-dd"
        sheet.cell(row=1, column=index).comment = Comment(_hint(column), "labshare")
    last = FIRST_DATA_ROW + MAX_ROWS - 1
    lists = {
        "category": CATEGORIES,
        "service_modes": SERVICE_MODE_CHOICES,
        "yes_no": ("是", "否"),
    }
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{last}"
        validation: DataValidation | None = None
        if column.kind in lists:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(lists[column.kind]) + '"', allow_blank=True
            )
            validation.error = "请从列表中选择 / choose from the list"
        elif column.kind == "date":
            validation = DataValidation(
                type="date", operator="greaterThanOrEqual", formula1="DATE(1970,1,1)"
            )
            validation.error = "请输入日期 / enter a date"
        elif column.kind == "wan_yuan":
            validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
            validation.error = "原值以万元计，不能为负 / in 10,000 CNY, not negative"
        if validation is not None:
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
            validation.add(cells)
            if column.kind == "date":  # the whole column, without creating cells
                sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _hint(column: Column) -> str:
    required = "必填 / required" if column.required else "选填 / optional"
    rules = {
        "text": f"≤ {TEXT_MAX} 字 / characters",
        "long_text": f"≤ {LONG_TEXT_MAX} 字 / characters",
        "date": "日期 YYYY-MM-DD / a date",
        "wan_yuan": "人民币万元，最多 6 位小数（精确到分）/ 10,000 CNY, at most 6 decimals",
        "category": "从列表选择 / from the list",
        "service_modes": "委托测试、自主操作，或两者以“、”分隔 / one or both",
        "yes_no": "是 / 否",
        "email": "name@example.cn",
    }
    return f"{column.en}\n{required}\n{rules[column.kind]}"


# ---------------------------------------------------------------------------------------------
# Reading a workbook.


def _open(content: bytes) -> Any:
    if len(content) > MAX_BYTES:
        raise ImportFileTooLarge(
            f"Workbooks are limited to {MAX_BYTES // (1024 * 1024)} MiB",
            extensions={"code": "import_too_large", "max_bytes": MAX_BYTES},
        )
    if not content:
        raise _not_xlsx("empty", "The file is empty")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _not_xlsx(
            "legacy_xls", "This is an Excel 97-2003 (.xls) file: save it as .xlsx and upload again"
        )
    if not content.startswith(b"PK\x03\x04"):
        raise _not_xlsx(
            "not_zip", "This is not an XLSX workbook (CSV and other formats are not read)"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            # A few kilobytes must not unpack into gigabytes (zip bomb).
            if sum(i.file_size for i in archive.infolist()) > 20 * MAX_BYTES:
                raise ImportFileTooLarge(
                    "The workbook unpacks to more than the server reads",
                    extensions={"code": "import_too_large", "max_bytes": MAX_BYTES},
                )
    except zipfile.BadZipFile as exc:
        raise _not_xlsx(
            "not_zip", "The file is damaged: it is not a readable XLSX workbook"
        ) from exc
    if "xl/workbook.xml" not in names:
        raise _not_xlsx(
            "not_workbook", "The archive is not an XLSX workbook (an .xlsx from Excel or WPS)"
        )
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged parts
        raise _not_xlsx("unreadable", f"The workbook cannot be read: {type(exc).__name__}") from exc


def _rows(content: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, {column key: cell})`` of every non-empty data row of the first sheet."""
    workbook = _open(content)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows()
        first = next(rows, None)
        headers = [_header_text(c.value) for c in first] if first else []
        positions: dict[str, int] = {}
        for index, header in enumerate(headers):
            column = _BY_HEADER.get(header)
            if column is not None and column.key not in positions:
                positions[column.key] = index
        missing = [c.zh for c in COLUMNS if c.required and c.key not in positions]
        if missing:
            raise _sheet_invalid(
                "import_missing_columns",
                f"The first row lacks the columns {'、'.join(missing)}; use the template",
                columns=missing,
            )
        count = 0
        for number, row in enumerate(rows, start=2):
            if number > FIRST_DATA_ROW + 10 * MAX_ROWS:  # formatted but empty rows count too
                raise _sheet_invalid(
                    "import_too_many_rows",
                    f"A workbook may hold at most {MAX_ROWS} instruments; split it",
                    max_rows=MAX_ROWS,
                )
            cells = {key: row[i] if i < len(row) else None for key, i in positions.items()}
            if all(_blank(c) for c in cells.values()):
                continue
            if number == 2 and _is_english_header(cells):
                continue
            count += 1
            if count > MAX_ROWS:
                raise _sheet_invalid(
                    "import_too_many_rows",
                    f"A workbook may hold at most {MAX_ROWS} instruments; split it",
                    max_rows=MAX_ROWS,
                )
            yield number, cells
    finally:
        workbook.close()


def _read(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        return list(_rows(content))
    except AppError:
        raise
    except Exception as exc:  # a damaged sheet only fails while its rows are read
        raise _not_xlsx("unreadable", f"The workbook cannot be read: {type(exc).__name__}") from exc


def _header_text(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)).replace("(", "（").replace(")", "）") if value else ""


def _blank(cell: Any) -> bool:
    value = getattr(cell, "value", None)
    return value is None or (isinstance(value, str) and not value.strip())


def _is_english_header(cells: dict[str, Any]) -> bool:
    by_key = {c.key: c.en for c in COLUMNS}
    return all(
        str(getattr(cell, "value", "") or "").strip() == by_key[key]
        for key, cell in cells.items()
        if not _blank(cell)
    )


# ---------------------------------------------------------------------------------------------
# Cell values.


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, datetime | date):
        raise _RowError("invalid_text", "expected text, found a date")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an asset number typed as a number
    text = str(value)
    text = _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    # Control characters are never part of a record: they come from copy and paste.
    text = _CONTROL.sub("", text).strip()
    if text.startswith("'") and text[1:2] in _FORMULA_START:
        text = text[1:]  # the quote safe_text put before it in our own sheets
    if not text:
        return None
    if len(text) > limit:
        raise _RowError("too_long", f"at most {limit} characters, found {len(text)}")
    return text


def _date(value: Any, today: date) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise _RowError("invalid_date", "give a date without a time of day")
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        match = _DATE_TEXT.match(value.strip())
        try:
            if match is None:
                raise ValueError(value)
            parsed = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise _RowError(
                "invalid_date", f"{value.strip()!r} is not a date; use YYYY-MM-DD"
            ) from exc
    else:
        raise _RowError("invalid_date", f"{value!r} is not a date; use YYYY-MM-DD")
    if not EARLIEST <= parsed <= today:
        raise _RowError(
            "date_out_of_range", f"{parsed.isoformat()} is not between 1970-01-01 and today"
        )
    return parsed


def _wan_yuan(value: Any) -> Decimal:
    """万元 to yuan, exactly: 38.6 万元 is 386000.00; a value finer than a fen is refused."""
    if isinstance(value, bool):
        raise _RowError("invalid_number", "expected a number in 10,000 CNY")
    try:
        # str() of a float is its shortest repr, which is the number the user typed.
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation as exc:
        raise _RowError("invalid_number", f"{value!r} is not a number (in 10,000 CNY)") from exc
    if not amount.is_finite():
        raise _RowError("invalid_number", f"{value!r} is not a number (in 10,000 CNY)")
    if amount < 0:
        raise _RowError("negative_value", "the original value cannot be negative")
    if amount >= VALUE_LIMIT_WAN:
        raise _RowError("value_too_large", "the original value is out of range")
    yuan = amount * WAN
    if yuan != yuan.quantize(FEN):
        raise _RowError("value_too_precise", "in 10,000 CNY with at most 6 decimals (a whole fen)")
    return yuan.quantize(FEN)


def _category(value: Any) -> str:
    text = str(value).strip()
    if text not in CATEGORIES:
        raise _RowError(
            "unknown_category", f"{text!r} is not a category of the national classification"
        )
    return text


def _service_modes(value: Any) -> list[str]:
    words = [w.strip() for w in re.split(r"[、,，;；/\s]+", str(value)) if w.strip()]
    modes: list[str] = []
    for word in words:
        mode = SERVICE_MODE_WORDS.get(word.lower()) or SERVICE_MODE_WORDS.get(word)
        if mode is None:
            raise _RowError(
                "unknown_service_mode", f"{word!r} is not a service mode; use 委托测试 or 自主操作"
            )
        if mode.value not in modes:
            modes.append(mode.value)
    if not modes:
        raise _RowError("required", "give at least one service mode")
    return modes


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise _RowError("invalid_yes_no", f"{str(value).strip()!r}: use 是 or 否")


def _email(value: Any) -> str | None:
    text = _text(value, TEXT_MAX)
    if text is not None and not _EMAIL.match(text):
        raise _RowError("invalid_email", f"{text!r} is not an e-mail address")
    return text


def _parse(column: Column, value: Any, today: date) -> Any:
    parsers: dict[Kind, Callable[[Any], Any]] = {
        "text": lambda v: _text(v, TEXT_MAX),
        "long_text": lambda v: _text(v, LONG_TEXT_MAX),
        "date": lambda v: _date(v, today),
        "wan_yuan": _wan_yuan,
        "category": _category,
        "service_modes": _service_modes,
        "yes_no": _yes_no,
        "email": _email,
    }
    return parsers[column.kind](value)


def _row_values(
    number: int, cells: dict[str, Any], today: date, errors: list[ImportRowError]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in COLUMNS:
        cell = cells.get(column.key)

        def fail(code: str, message: str, column: Column = column) -> None:
            errors.append(
                ImportRowError(
                    row=number, column=column.zh, column_en=column.en, code=code, message=message
                )
            )

        if cell is not None and getattr(cell, "data_type", None) == "f":
            fail("formula_not_allowed", "enter the value itself, not a formula")
            continue
        value = None if _blank(cell) else getattr(cell, "value", None)
        try:
            parsed = None if value is None else _parse(column, value, today)
        except _RowError as exc:
            fail(exc.code, exc.message)
            continue
        if parsed is None and column.required:
            fail("required", "this column is required")
            continue
        if column.key in cells or parsed is not None:
            values[column.key] = parsed
    purchased, commissioned = values.get("purchase_date"), values.get("commissioned_on")
    if purchased and commissioned and commissioned < purchased:
        column = next(c for c in COLUMNS if c.key == "commissioned_on")
        errors.append(
            ImportRowError(
                row=number,
                column=column.zh,
                column_en=column.en,
                code="date_order",
                message="the commissioning date lies before the purchase date",
            )
        )
    return values


# ---------------------------------------------------------------------------------------------
# The import.


async def _lab_for_import(session: AsyncSession, user: AppUser, lab_id: uuid.UUID) -> Lab:
    require_catalogue_manager(user)
    lab = await session.get(Lab, lab_id)
    # Another institution's lab is reported like a missing one.
    if lab is None or not may_manage_organisation(user, lab.organisation_id):
        raise NotFound(f"Lab {lab_id} not found")
    return lab


async def import_instruments(
    session: AsyncSession,
    user: AppUser,
    lab_id: uuid.UUID,
    content: bytes,
    *,
    dry_run: bool,
    today: date,
) -> ImportReport:
    """Validate every row; unless ``dry_run`` or an error, create or update every instrument.

    Errors in rows raise :class:`ImportRowsInvalid` (with ``row_errors``) for a real import
    and are reported in the answer of a dry run; nothing is stored either way.
    """
    lab = await _lab_for_import(session, user, lab_id)
    errors: list[ImportRowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    first_row_of: dict[str, int] = {}
    asset_column = next(c for c in COLUMNS if c.key == "asset_number")
    for number, cells in _read(content):
        values = _row_values(number, cells, today, errors)
        asset_number = values.get("asset_number")
        if asset_number is not None:
            if asset_number in first_row_of:
                errors.append(
                    ImportRowError(
                        row=number,
                        column=asset_column.zh,
                        column_en=asset_column.en,
                        code="duplicate_asset_number",
                        message=f"{asset_number} is already on row {first_row_of[asset_number]}",
                    )
                )
            else:
                first_row_of[asset_number] = number
        parsed.append((number, values))
    if not parsed:
        raise _sheet_invalid("import_no_rows", "The sheet has no instrument rows below the headers")

    existing = {
        i.asset_number: i
        for i in (
            await session.exec(
                select(Instrument).where(
                    Instrument.organisation_id == lab.organisation_id,
                    col(Instrument.asset_number).in_(list(first_row_of)),
                )
            )
        ).all()
    }
    results: list[ImportRowResult] = []
    for number, values in parsed:
        instrument = existing.get(values.get("asset_number"))
        if instrument is None or first_row_of.get(instrument.asset_number or "") != number:
            continue
        if instrument.lab_id != lab.id:
            errors.append(
                ImportRowError(
                    row=number,
                    column=asset_column.zh,
                    column_en=asset_column.en,
                    code="asset_number_in_other_lab",
                    message=f"{instrument.asset_number} belongs to an instrument of another lab "
                    "of your institution",
                )
            )

    errors.sort(key=lambda e: e.row)
    if errors:
        if not dry_run:
            raise ImportRowsInvalid(
                f"{len({e.row for e in errors})} rows have errors; nothing was imported",
                errors=[
                    FieldError(f"row {e.row}" + (f": {e.column}" if e.column else ""), e.message)
                    for e in errors
                ],
                extensions={
                    "code": "import_rows_invalid",
                    "row_errors": [e.model_dump() for e in errors],
                },
            )
        return _report(True, False, len(parsed), errors, [])

    written: list[tuple[Instrument, str, dict[str, Any] | None]] = []
    for number, values in parsed:
        asset_number = values["asset_number"]
        instrument = existing.get(asset_number)
        fields = dict(values)
        if "original_value" in values:  # 原值 is in 万元 of renminbi
            fields["currency"] = None if values["original_value"] is None else "CNY"
        if instrument is None:
            if not dry_run:
                instrument = Instrument(
                    lab_id=lab.id, organisation_id=lab.organisation_id, **fields
                )
                session.add(instrument)
                written.append((instrument, "create", None))
            results.append(
                ImportRowResult(
                    row=number,
                    asset_number=asset_number,
                    action="create",
                    instrument_id=None if instrument is None else instrument.id,
                )
            )
            continue
        changed = {k: v for k, v in fields.items() if getattr(instrument, k) != v}
        if changed and not dry_run:
            before = snapshot(instrument)
            for key, value in changed.items():
                setattr(instrument, key, value)
            session.add(instrument)
            written.append((instrument, "update", before))
        results.append(
            ImportRowResult(
                row=number,
                asset_number=asset_number,
                action="update" if changed else "unchanged",
                instrument_id=instrument.id,
            )
        )
    if written:
        await _store(session, user, written)
    return _report(dry_run, not dry_run, len(parsed), [], results)


async def _store(
    session: AsyncSession,
    user: AppUser,
    written: list[tuple[Instrument, str, dict[str, Any] | None]],
) -> None:
    """The added and changed instruments, then one audit entry each with the record before and
    after, as the single-record endpoints write them (two batched statements, not one per row)."""
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent import took an asset number first
        raise Conflict(
            "An asset number of the sheet was registered meanwhile; import again",
            extensions={"code": "import_asset_number_taken"},
        ) from exc
    session.add_all(
        AuditLog(
            actor_id=user.id,
            organisation_id=instrument.organisation_id,
            entity="instrument",
            entity_id=str(instrument.id),
            action=action,
            before=before,
            after=snapshot(instrument),
        )
        for instrument, action, before in written
    )
    await session.flush()


def _report(
    dry_run: bool,
    committed: bool,
    rows: int,
    errors: list[ImportRowError],
    results: list[ImportRowResult],
) -> ImportReport:
    return ImportReport(
        dry_run=dry_run,
        committed=committed,
        rows=rows,
        created=sum(r.action == "create" for r in results),
        updated=sum(r.action == "update" for r in results),
        unchanged=sum(r.action == "unchanged" for r in results),
        errors=errors,
        results=results,
    )


async def error_workbook(
    session: AsyncSession, user: AppUser, lab_id: uuid.UUID, content: bytes, *, today: date
) -> bytes:
    """The uploaded rows as a sheet of the template's columns, each with its errors in a last
    column and the erroneous cells shaded; once corrected it can be imported as it is."""
    report = await import_instruments(session, user, lab_id, content, dry_run=True, today=today)
    by_row: dict[int, list[ImportRowError]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, []).append(error)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "错误 Errors"
    sheet.append(safe_row([*(c.zh for c in COLUMNS), "原行号", "错误说明"]))
    sheet.append(safe_row([*(c.en for c in COLUMNS), "Row", "Errors"]))
    shade = PatternFill("solid", fgColor="F8CBAD")
    for number, cells in _read(content):
        values = [
            None if _blank(cells.get(c.key)) else getattr(cells.get(c.key), "value", None)
            for c in COLUMNS
        ]
        errors = by_row.get(number, [])
        sheet.append(
            safe_row(
                [
                    *values,
                    number,
                    "\n".join(f"{e.column or ''}: {e.message} [{e.code}]" for e in errors) or None,
                ]
            )
        )
        for error in errors:
            for index, column in enumerate(COLUMNS, start=1):
                if column.zh == error.column:
                    sheet.cell(row=sheet.max_row, column=index).fill = shade
    for index, column in enumerate(COLUMNS, start=1):
        if column.kind == "date":
            sheet.column_dimensions[get_column_letter(index)].number_format = "yyyy-mm-dd"
    sheet.column_dimensions[get_column_letter(len(COLUMNS) + 2)].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
