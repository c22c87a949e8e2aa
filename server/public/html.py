"""A few helpers to write the public pages as plain HTML (every value escaped)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

__all__ = ["STYLE", "STYLESHEET_PATH", "e", "page", "table"]

# The pages' stylesheet is served as a file: the Content-Security-Policy (``style-src 'self'``)
# refuses inline style elements.
STYLESHEET_PATH = "/public/style.css"
STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:64rem;margin:1.5rem auto;
padding:0 1rem;color:#222;line-height:1.5}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.en{color:#666;font-size:.9em}
.class-A{color:#389e0d}.class-B{color:#1677ff}.class-C{color:#d48806}.class-D{color:#cf1322}
nav a{margin-right:1rem}form label{display:block;margin:.5rem 0}svg{max-width:100%;height:auto}
@media (max-width:40rem){table{display:block;overflow-x:auto}}
"""


def e(value: Any) -> str:
    return "" if value is None else escape(str(value))


def page(title: str, title_en: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · {e(title_en)} · labshare</title>"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}"></head><body>'
        '<nav><a href="/public">公共信息 / Public information</a>'
        '<a href="/public/institutions">机构 / Institutions</a>'
        '<a href="/public/notices">违规公告 / Violations</a>'
        '<a href="/public/complaints/new">投诉举报 / Complaints</a>'
        '<a href="/public/complaints/track">进度查询 / Track</a></nav>'
        f'<h1>{e(title)} <span class="en" lang="en">{e(title_en)}</span></h1>{body}</body></html>'
    )


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], empty: str = "无 / none") -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f"<p>{empty}</p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
