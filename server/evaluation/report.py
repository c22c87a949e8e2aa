"""The yearly evaluation report: one data set, written as XLSX (data) and PDF (for the file).

Both files depend only on the data: every timestamp inside them is the end of the reported
period (or the instant the data was read, while the year is still running), so the same data
gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.spreadsheet import safe_cell, safe_row
from server.evaluation.calendar import BEIJING, Period
from server.evaluation.coverage import Coverage, sensor_coverage
from server.evaluation.metrics import (
    NATIONAL_REFERENCE,
    Level,
    MetricRow,
    Scope,
    compute_metrics,
    instrument_hours,
)
from server.evaluation.reconciliation import Check, check_bookings

__all__ = ["XLSX_TYPE", "Report", "build_report", "report_pdf", "report_xlsx"]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FLAG_NAMES = {
    "no_use_measured": "未测得运行",
    "less_running_than_charged": "运行时间明显少于计费时间",
}
STATUS_NAMES = {
    "on_time": "按时接入",
    "late": "逾期接入",
    "missing": "未接入",
    "overdue": "逾期未接入",
}


@dataclass
class Report:
    year: int
    title: str
    as_of: datetime
    summary: MetricRow | None
    institutions: list[MetricRow]
    cities: list[MetricRow]
    instruments: list[MetricRow]
    months: list[tuple[int, float, float]]  # month, effective hours, external service hours
    coverage: Coverage
    checks: list[Check]


async def build_report(conn: AsyncConnection, year: int, scope: Scope, now: datetime) -> Report:
    period = Period.year(year)
    # A year still running is reported up to the start of today (Beijing), so the same day's
    # downloads are the same file.
    today = datetime.combine(now.astimezone(BEIJING).date(), time(0), BEIJING)
    as_of = period.end_at(min(now, today))
    hours = await instrument_hours(conn, scope, period, as_of)
    summary = await compute_metrics(conn, Level.PROVINCE, scope, period, as_of, hours=hours)
    institutions = await compute_metrics(conn, Level.INSTITUTION, scope, period, as_of, hours=hours)
    cities = await compute_metrics(conn, Level.CITY, scope, period, as_of, hours=hours)
    instruments = await compute_metrics(conn, Level.INSTRUMENT, scope, period, as_of, hours=hours)
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        last = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        if Period(first, last).start >= as_of:
            months.append((month, 0.0, 0.0))
            continue
        m = await instrument_hours(conn, scope, Period(first, last), as_of)
        months.append(
            (
                month,
                round(sum(h.effective_s for h in m) / 3600, 2),
                round(sum(h.external_s for h in m) / 3600, 2),
            )
        )
    title = "全省"
    if scope.organisation_id is not None:
        name = (
            await conn.execute(
                text("SELECT name FROM organisation WHERE id = :id"), {"id": scope.organisation_id}
            )
        ).scalar()
        title = str(name or scope.organisation_id)
    return Report(
        year=year,
        title=f"{year}年度大型科研仪器开放共享评价报告（{title}）",
        as_of=as_of,
        summary=summary[0] if summary else None,
        institutions=institutions,
        cities=cities,
        instruments=instruments,
        months=months,
        coverage=await sensor_coverage(conn, scope, period, as_of),
        checks=list(await check_bookings(conn, scope, period, as_of, with_evidence=False)),
    )


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _reference(name: str, year: int) -> int:
    table = NATIONAL_REFERENCE[name]
    return table[max(y for y in table if y <= year)] if year >= min(table) else table[min(table)]


_METRIC_HEADERS = [
    "名称",
    "仪器数",
    "有传感器仪器数",
    "年有效工作机时(h)",
    "其中申报机时(h)",
    "对外服务机时(h)",
    "企业(h)",
    "其他机构(h)",
    "开放机时(h)",
    "共享率",
    "利用率",
    "台均有效机时(h)",
    "台均对外服务机时(h)",
    "服务记录数",
    "服务用户数",
    "服务企业数",
    "样品数",
    "收费(元)",
    "创新券(元)",
    "评价数",
    "平均评分",
]


def _metric_cells(r: MetricRow) -> list[Any]:
    return [
        r.name,
        r.instruments,
        r.measured_instruments,
        round(r.effective_hours, 2),
        round(r.declared_hours, 2),
        round(r.external_service_hours, 2),
        round(r.enterprise_hours, 2),
        round(r.other_institution_hours, 2),
        round(r.opening_hours, 2),
        r.sharing_rate,
        r.utilisation,
        r.average_effective_hours,
        r.average_external_hours,
        r.service_records,
        r.users,
        r.enterprises,
        r.samples,
        r.fees,
        r.voucher_amount,
        r.ratings,
        r.average_rating,
    ]


def _metric_sheet(wb: Workbook, title: str, rows: list[MetricRow]) -> Any:
    ws = wb.create_sheet(title)
    ws.append(_METRIC_HEADERS)
    for r in rows:
        ws.append(safe_row(_metric_cells(r)))
    for column in ("J", "K"):
        for cell in ws[column][1:]:
            cell.number_format = "0.0%"
    ws.column_dimensions["A"].width = 36
    return ws


def _local(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def report_xlsx(report: Report) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "总览"
    ws.append([report.title])
    ws.append(["数据截至（北京时间）", _local(report.as_of)])
    ws.append([])
    ws.append(["指标", "本报告", "全国参考值"])
    s = report.summary
    ref_eff = _reference("effective_hours", report.year)
    ref_ext = _reference("external_service_hours", report.year)
    if s is not None:
        ws.append(["台均年有效工作机时(h)", s.average_effective_hours, ref_eff])
        ws.append(["台均对外服务机时(h)", s.average_external_hours, ref_ext])
        ws.append(["共享率", s.sharing_rate])
        ws.append(["利用率", s.utilisation])
        ws.append(["服务记录数", s.service_records])
        ws.append(["服务企业数", s.enterprises])
        ws.append(["收费(元)", s.fees])
        ws.append(["创新券(元)", s.voucher_amount])
    cov = report.coverage
    ws.append(["在册仪器数", cov.listed])
    ws.append(["接入传感器仪器数", cov.with_sensor])
    ws.append(["传感器覆盖率", cov.share])
    ws.append(["逾期接入（超过30个工作日）", cov.late])
    ws.append(["逾期未接入", cov.overdue])
    flagged = [c for c in report.checks if c.flag is not None]
    ws.append(["核查服务记录数", len(report.checks)])
    ws.append(["核查异常数", len(flagged)])
    ws.append([])
    ws.append(["全国参考值：台均年有效工作机时 1440 h（2019年）、1599 h（2025年）；"])
    ws.append(["台均对外服务机时 240 h（2019年）、273 h（2025年）。"])
    ws.column_dimensions["A"].width = 34

    inst = _metric_sheet(wb, "机构", report.institutions)
    if report.institutions:
        chart = BarChart()
        chart.title = "各机构年有效工作机时与对外服务机时"
        chart.y_axis.title = "小时"
        n = len(report.institutions) + 1
        chart.add_data(Reference(inst, min_col=4, min_row=1, max_row=n), titles_from_data=True)
        chart.add_data(Reference(inst, min_col=6, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(inst, min_col=1, min_row=2, max_row=n))
        inst.add_chart(chart, f"A{n + 3}")
    _metric_sheet(wb, "城市", report.cities)

    months = wb.create_sheet("月度趋势")
    months.append(["月份", "有效工作机时(h)", "对外服务机时(h)"])
    for month, eff, ext in report.months:
        months.append([f"{month}月", eff, ext])
    line = LineChart()
    line.title = "月度机时趋势"
    line.add_data(
        Reference(months, min_col=2, max_col=3, min_row=1, max_row=13), titles_from_data=True
    )
    line.set_categories(Reference(months, min_col=1, min_row=2, max_row=13))
    months.add_chart(line, "E2")

    instruments = _metric_sheet(wb, "仪器", report.instruments)
    instruments.cell(row=1, column=len(_METRIC_HEADERS) + 1, value="所属机构")
    instruments.cell(row=1, column=len(_METRIC_HEADERS) + 2, value="低于全国台均有效机时")
    for i, r in enumerate(report.instruments, start=2):
        instruments.cell(
            row=i, column=len(_METRIC_HEADERS) + 1, value=safe_cell(r.extra.get("institution"))
        )
        instruments.cell(
            row=i,
            column=len(_METRIC_HEADERS) + 2,
            value="是" if r.effective_hours < ref_eff else "否",
        )

    sensors = wb.create_sheet("传感器覆盖")
    sensors.append(["仪器", "所属机构", "上架日期", "接入日期", "工作日数", "状态"])
    for st in cov.instruments:
        sensors.append(
            safe_row(
                [
                    st.name,
                    st.organisation_name,
                    st.listed_on.isoformat(),
                    st.sensor_on.isoformat() if st.sensor_on else "",
                    st.working_days,
                    STATUS_NAMES[st.status],
                ]
            )
        )

    checks = wb.create_sheet("核查")
    checks.append(
        ["仪器", "所属机构", "用户单位", "开始", "结束", "申报机时(min)", "实测运行(min)", "结论"]
    )
    for c in report.checks:
        checks.append(
            safe_row(
                [
                    c.instrument_name,
                    c.organisation_name,
                    c.customer,
                    _local(c.window_start),
                    _local(c.window_end),
                    c.claimed_minutes,
                    c.measured_minutes,
                    FLAG_NAMES.get(
                        c.flag or "", "无法核查" if c.verdict == "unverifiable" else "一致"
                    ),
                ]
            )
        )

    stamp = report.as_of.astimezone(BEIJING).replace(tzinfo=None, microsecond=0)
    wb.properties.creator = "labshare"
    wb.properties.title = report.title
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


_MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The same archive with fixed entry times and modification date (the writer uses now)."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(
                    lambda m: (
                        b"<dcterms:modified" + m.group(1) + b">" + iso + b"</dcterms:modified>"
                    ),
                    body,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, body)
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
FONT_NAME = "LabshareCJK"


def _register_font() -> str:
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    for path in FONT_CANDIDATES:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            return FONT_NAME
    # No TrueType CJK font installed (scripts/setup-system.sh installs one): a CID font the
    # reader must supply. Readable in Acrobat, not embedded.
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def report_pdf(report: Report) -> bytes:
    font = _register_font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)

    def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
        t = Table([[_fmt(c) for c in row] for row in rows], colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ]
            )
        )
        return t

    story: list[Any] = [
        Paragraph(report.title, title_style),
        Paragraph(f"数据截至（北京时间）：{_local(report.as_of)}", body),
        Spacer(1, 4 * mm),
        Paragraph("一、总体情况", heading),
    ]
    s = report.summary
    ref_eff = _reference("effective_hours", report.year)
    ref_ext = _reference("external_service_hours", report.year)
    cov = report.coverage
    rows: list[list[Any]] = [["指标", "本报告", "全国参考值"]]
    if s is not None:
        rows += [
            ["台均年有效工作机时(h)", s.average_effective_hours, ref_eff],
            ["台均对外服务机时(h)", s.average_external_hours, ref_ext],
            ["共享率", _pct(s.sharing_rate), ""],
            ["利用率", _pct(s.utilisation), ""],
            ["服务记录数 / 服务企业数", f"{s.service_records} / {s.enterprises}", ""],
            ["收费(元) / 创新券(元)", f"{_fmt(s.fees)} / {_fmt(s.voucher_amount)}", ""],
        ]
    rows += [
        ["传感器覆盖率", _pct(cov.share), ""],
        ["逾期接入 / 逾期未接入", f"{cov.late} / {cov.overdue}", ""],
    ]
    story.append(table(rows, [70 * mm, 50 * mm, 40 * mm]))

    story.append(Paragraph("二、各机构情况", heading))
    story.append(
        table(
            [["机构", "仪器数", "有效机时(h)", "对外服务机时(h)", "共享率", "利用率", "服务记录"]]
            + [
                [
                    r.name,
                    r.instruments,
                    r.effective_hours,
                    r.external_service_hours,
                    _pct(r.sharing_rate),
                    _pct(r.utilisation),
                    r.service_records,
                ]
                for r in report.institutions
            ]
        )
    )
    if report.institutions:
        drawing = Drawing(240 * mm, 70 * mm)
        chart = VerticalBarChart()
        chart.x, chart.y = int(15 * mm), int(12 * mm)
        chart.width, chart.height = int(210 * mm), int(50 * mm)
        chart.data = [
            [r.effective_hours for r in report.institutions],
            [r.external_service_hours for r in report.institutions],
        ]
        chart.categoryAxis.categoryNames = [r.name[:10] for r in report.institutions]
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.labels.fontSize = 7
        chart.bars[0].fillColor = colors.HexColor("#4472c4")
        chart.bars[1].fillColor = colors.HexColor("#ed7d31")
        drawing.add(chart)
        drawing.add(
            String(
                15 * mm, 65 * mm, "蓝：有效工作机时  橙：对外服务机时", fontName=font, fontSize=8
            )
        )
        story.append(drawing)

    story.append(Paragraph("三、月度趋势", heading))
    story.append(
        table(
            [["月份", "有效工作机时(h)", "对外服务机时(h)"]]
            + [[f"{m}月", e, x] for m, e, x in report.months]
        )
    )
    story.append(Paragraph("四、运行核查异常（服务记录与仪器实测不符）", heading))
    flagged = [c for c in report.checks if c.flag is not None]
    story.append(
        table(
            [["仪器", "机构", "用户单位", "开始", "申报(min)", "实测运行(min)", "结论"]]
            + [
                [
                    c.instrument_name[:16],
                    c.organisation_name[:14],
                    c.customer[:14],
                    _local(c.window_start),
                    c.claimed_minutes,
                    c.measured_minutes,
                    FLAG_NAMES[c.flag or ""],
                ]
                for c in flagged
            ]
            if flagged
            else [["无异常"]]
        )
    )
    story.append(Paragraph("五、说明", heading))
    story.append(
        Paragraph(
            "有效工作机时取自仪器传感器判定的运行状态；无传感器的仪器按已完成预约计，标为申报值。"
            "全国参考值：台均年有效工作机时 1440 h（2019年）、1599 h（2025年），"
            "台均对外服务机时 240 h（2019年）、273 h（2025年）。",
            body,
        )
    )

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=report.title,
        author="labshare",
        creator="labshare",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()
