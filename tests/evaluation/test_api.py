"""The evaluation API as the regulator and institutions use it: reconciliation flags with
evidence, sensor coverage with the 30-working-day rule, ratings, access, the yearly report."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.harness.evaluation import (
    World,
    add_booking,
    add_charged_booking,
    add_instrument,
    add_interval,
    bj,
)

API = "/api/v1"


async def _flagging_data(conn: AsyncConnection, world: World) -> dict[str, object]:
    inst = await add_instrument(conn, world, name="电感耦合等离子体质谱仪")
    # Channel with readings during the idle booking (the evidence).
    gateway = await conn.execute(
        text(
            "INSERT INTO gateway (id, organisation_id, name, key, secret_hash)"
            " VALUES (gen_random_uuid(), :org, 'gw', :key, 'x') RETURNING id"
        ),
        {"org": world.institution, "key": f"gw-{inst.hex[:8]}"},
    )
    gateway_id = gateway.scalar_one()
    channel = (
        await conn.execute(
            text(
                "INSERT INTO channel (instrument_id, gateway_id, device_key, point_key, name,"
                " canonical_unit) VALUES (:i, :g, 'dev', 'power', '功率', 'W') RETURNING id"
            ),
            {"i": inst, "g": gateway_id},
        )
    ).scalar_one()
    for minute in range(0, 120, 10):
        await conn.execute(
            text("INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (:c, :t, 3.0, 0)"),
            {"c": channel, "t": bj(2026, 3, 10, 9) + timedelta(minutes=minute)},
        )
    # Booking 1: claims 2 h, the instrument was idle throughout -> no_use_measured.
    await add_interval(conn, inst, "idle", bj(2026, 3, 10, 8), bj(2026, 3, 10, 12))
    idle = await add_charged_booking(
        conn, world, inst, bj(2026, 3, 10, 9), bj(2026, 3, 10, 11), amount=Decimal("600.00")
    )
    # Booking 2: charged 3 h, ran 40 min -> less_running_than_charged.
    await add_interval(conn, inst, "running", bj(2026, 3, 11, 9), bj(2026, 3, 11, 9, 40))
    await add_interval(conn, inst, "idle", bj(2026, 3, 11, 9, 40), bj(2026, 3, 11, 12))
    short = await add_charged_booking(
        conn, world, inst, bj(2026, 3, 11, 9), bj(2026, 3, 11, 12), amount=Decimal("900.00")
    )
    # Booking 3: ran throughout -> consistent.
    await add_interval(conn, inst, "running", bj(2026, 3, 12, 9), bj(2026, 3, 12, 11))
    fine = await add_booking(
        conn,
        inst,
        world.other_institution,
        world.other_user,
        bj(2026, 3, 12, 9),
        bj(2026, 3, 12, 11),
    )
    # Booking 4: the sensor was offline -> cannot be judged, not flagged.
    await add_interval(conn, inst, "offline", bj(2026, 3, 13, 8), bj(2026, 3, 13, 12))
    unknown = await add_booking(
        conn, inst, world.enterprise, world.enterprise_user, bj(2026, 3, 13, 9), bj(2026, 3, 13, 11)
    )
    return {
        "instrument": inst,
        "idle": idle,
        "short": short,
        "fine": fine,
        "unknown": unknown,
        "channel": channel,
    }


async def test_reconciliation_flags_claimed_use_the_sensor_did_not_see(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth
) -> None:  # type: ignore[no-untyped-def]
    data = await _flagging_data(conn, world)
    headers = await auth(world.admin_email)
    response = await client.get(
        f"{API}/evaluation/reconciliation",
        params={
            "date_from": "2026-03-01",
            "date_to": "2026-03-31",
            "instrument_id": str(data["instrument"]),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    checks = {c["booking_id"]: c for c in body["checks"]}
    idle = checks[str(data["idle"])]
    assert idle["flag"] == "no_use_measured"
    assert idle["claimed_minutes"] == 120
    assert idle["measured_minutes"] == 0
    assert [t["state"] for t in idle["evidence"]["timeline"]] == ["idle"]
    (reading,) = idle["evidence"]["readings"]
    assert reading["channel"] == "功率"
    assert (reading["samples"], reading["max"]) == (12, 3.0)
    short = checks[str(data["short"])]
    assert short["flag"] == "less_running_than_charged"
    assert (short["claimed_minutes"], short["measured_minutes"]) == (180, 40)
    assert [t["state"] for t in short["evidence"]["timeline"]] == ["running", "idle"]
    assert checks[str(data["fine"])]["verdict"] == "consistent"
    assert checks[str(data["unknown"])]["verdict"] == "unverifiable"
    assert checks[str(data["unknown"])]["flag"] is None
    (by_institution,) = body["by_institution"]
    assert (by_institution["checked"], by_institution["flagged"]) == (4, 2)
    assert by_institution["id"] == str(world.institution)


async def test_sensor_later_than_30_working_days_counts_statutory_holidays(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth
) -> None:  # type: ignore[no-untyped-def]
    # Listed 1 Sep 2026. To 19 Oct there are 34 weekdays, but National Day (1-7 Oct) and
    # Mid-Autumn (25 Sep) are holidays and Sun 20 Sep and Sat 10 Oct are working days: 30.
    on_time = await add_instrument(conn, world, name="on time", created_at=bj(2026, 9, 1, 10))
    await add_interval(conn, on_time, "idle", bj(2026, 10, 19, 9), bj(2026, 10, 19, 10))
    late = await add_instrument(conn, world, name="late", created_at=bj(2026, 9, 1, 10))
    await add_interval(conn, late, "idle", bj(2026, 10, 20, 9), bj(2026, 10, 20, 10))
    await add_instrument(conn, world, name="overdue", sensor=False, created_at=bj(2026, 9, 1, 10))
    headers = await auth(world.manager)
    response = await client.get(f"{API}/evaluation/coverage?year=2026", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    status = {i["name"]: (i["status"], i["working_days"]) for i in body["instruments"]}
    assert status["on time"] == ("on_time", 30)
    assert status["late"] == ("late", 31)
    assert status["overdue"][0] == "overdue"
    assert (body["listed"], body["with_sensor"], body["late"], body["overdue"]) == (3, 2, 1, 1)
    assert body["share"] == round(2 / 3, 4)


async def test_ratings_after_completed_bookings(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth
) -> None:  # type: ignore[no-untyped-def]
    inst = await add_instrument(conn, world, sensor=False)
    done = await add_booking(
        conn, inst, world.enterprise, world.enterprise_user, bj(2026, 2, 3, 9), bj(2026, 2, 3, 10)
    )
    upcoming = await add_booking(
        conn,
        inst,
        world.enterprise,
        world.enterprise_user,
        bj(2026, 2, 4, 9),
        bj(2026, 2, 4, 10),
        status="confirmed",
    )
    buyer = await auth(world.enterprise_email)
    url = f"{API}/bookings/{done}/rating"
    bad = await client.post(url, json={"score": 6}, headers=buyer)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert (await client.get(url, headers=buyer)).status_code == 404
    created = await client.post(url, json={"score": 4, "comment": "出报告很快"}, headers=buyer)
    assert created.status_code == 201, created.text
    assert created.json()["score"] == 4
    again = await client.post(url, json={"score": 5}, headers=buyer)
    assert again.status_code == 409
    early = await client.post(f"{API}/bookings/{upcoming}/rating", json={"score": 5}, headers=buyer)
    assert early.status_code == 409
    manager = await auth(world.manager)
    seen = await client.get(url, headers=manager)
    assert seen.status_code == 200
    assert seen.json()["comment"] == "出报告很快"
    assert (await client.post(url, json={"score": 1}, headers=manager)).status_code == 403
    metrics = await client.get(
        f"{API}/evaluation/metrics",
        params={"level": "instrument", "date_from": "2026-02-01", "date_to": "2026-02-28"},
        headers=manager,
    )
    (row,) = metrics.json()["rows"]
    assert (row["ratings"], row["average_rating"]) == (1, 4.0)


async def test_institutions_see_only_themselves_and_enterprises_nothing(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth
) -> None:  # type: ignore[no-untyped-def]
    await add_instrument(conn, world)
    manager = await auth(world.manager)
    own = await client.get(f"{API}/evaluation/metrics?year=2026", headers=manager)
    assert own.status_code == 200
    assert [r["key"] for r in own.json()["rows"]] == [str(world.institution)]
    assert own.json()["national_reference"]["effective_hours"] == {"2019": 1440, "2025": 1599}
    other = await client.get(
        f"{API}/evaluation/metrics?year=2026&organisation_id={world.other_institution}",
        headers=manager,
    )
    assert other.status_code == 403
    buyer = await auth(world.enterprise_email)
    assert (
        await client.get(f"{API}/evaluation/metrics?year=2026", headers=buyer)
    ).status_code == 403
    admin = await auth(world.admin_email)
    province = await client.get(f"{API}/evaluation/metrics?year=2026&level=province", headers=admin)
    assert province.status_code == 200
    assert province.json()["rows"][0]["name"] == "全省"


async def test_yearly_report_xlsx_and_pdf_are_reproducible_and_readable(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    await _flagging_data(conn, world)
    admin = await auth(world.admin_email)
    params = {"year": 2026, "organisation_id": str(world.institution)}
    first = await client.get(f"{API}/evaluation/report.xlsx", params=params, headers=admin)
    assert first.status_code == 200, first.text
    second = await client.get(f"{API}/evaluation/report.xlsx", params=params, headers=admin)
    assert first.content == second.content
    book = load_workbook(io.BytesIO(first.content))
    assert book.sheetnames == ["总览", "机构", "城市", "月度趋势", "仪器", "传感器覆盖", "核查"]
    assert "2026年度" in book["总览"]["A1"].value
    institutions = book["机构"]
    assert institutions["A1"].value == "名称"
    assert institutions["A2"].value.startswith("杭州检测研究院")
    assert institutions["D2"].value == 2.67  # measured running hours: 40 min + 2 h
    march = book["月度趋势"]["B4"]
    assert book["月度趋势"]["A4"].value == "3月"
    assert march.value == pytest.approx(2.67, abs=0.01)
    verdicts = [row[7] for row in book["核查"].iter_rows(min_row=2, values_only=True)]
    assert verdicts.count("未测得运行") == 1
    assert verdicts.count("运行时间明显少于计费时间") == 1

    pdf = await client.get(f"{API}/evaluation/report.pdf", params=params, headers=admin)
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
    again = await client.get(f"{API}/evaluation/report.pdf", params=params, headers=admin)
    assert pdf.content == again.content
    _check_pdf(pdf.content, tmp_path)


def _check_pdf(content: bytes, tmp_path: Path) -> None:
    """Render every page to an image and read the text back with poppler."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    assert shutil.which("pdftoppm"), "poppler-utils: scripts/setup-system.sh installs it"
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    assert all(p.stat().st_size > 5_000 for p in pages)
    words = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "年度大型科研仪器开放共享评价报告" in words
    assert "未测得运行" in words
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    cjk = [line for line in fonts.stdout.splitlines() if "WenQuanYi" in line]
    assert cjk
    assert all(line.split()[-5] == "yes" for line in cjk)  # embedded


def test_report_month_boundaries_cover_the_year() -> None:
    from server.evaluation.calendar import Period

    assert Period.year(2026).start.isoformat() == "2025-12-31T16:00:00+00:00"
    assert Period(date(2026, 12, 1), date(2026, 12, 31)).end.isoformat() == (
        "2026-12-31T16:00:00+00:00"
    )


async def test_drill_down_shows_an_instruments_timeline_and_readings(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth
) -> None:  # type: ignore[no-untyped-def]
    data = await _flagging_data(conn, world)
    manager = await auth(world.manager)
    url = f"{API}/evaluation/instruments/{data['instrument']}/timeline"
    window = {"start": "2026-03-11T09:00:00+08:00", "end": "2026-03-11T10:00:00+08:00"}
    response = await client.get(url, params=window, headers=manager)
    assert response.status_code == 200, response.text
    timeline = response.json()["timeline"]
    assert [(t["state"], t["start_at"][11:16], t["end_at"][11:16]) for t in timeline] == [
        ("running", "01:00", "01:40"),
        ("idle", "01:40", "02:00"),
    ]
    naive = await client.get(
        url, params={"start": "2026-03-11T09:00:00", "end": "2026-03-11T10:00:00"}, headers=manager
    )
    assert naive.status_code == 422
    buyer = await auth(world.enterprise_email)
    assert (await client.get(url, params=window, headers=buyer)).status_code == 403
    far = await client.get(
        f"{API}/evaluation/metrics",
        params={"date_from": "0001-01-01", "date_to": "2026-01-01"},
        headers=manager,
    )
    assert far.status_code == 422


async def test_monthly_trend_of_a_year(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth
) -> None:  # type: ignore[no-untyped-def]
    await _flagging_data(conn, world)
    manager = await auth(world.manager)
    response = await client.get(f"{API}/evaluation/trend?year=2026", headers=manager)
    assert response.status_code == 200, response.text
    months = response.json()
    assert [m["month"] for m in months] == list(range(1, 13))
    assert months[2]["effective_hours"] == 2.67
    assert months[2]["external_service_hours"] == 2.67
    assert sum(m["effective_hours"] for m in months) == 2.67


async def test_report_xlsx_opens_with_names_excel_would_refuse_or_run(
    client: httpx.AsyncClient, conn: AsyncConnection, world: World, auth
) -> None:  # type: ignore[no-untyped-def]
    """An instrument name typed with a control character, or starting like a formula, gave a
    500 (openpyxl refuses the character) or a cell Excel would evaluate."""
    await add_instrument(conn, world, name="§\x1b𒝺 控制字符")
    await add_instrument(conn, world, name='=HYPERLINK("http://x","点我")')
    admin = await auth(world.admin_email)
    params = {"year": 2026, "organisation_id": str(world.institution)}
    response = await client.get(f"{API}/evaluation/report.xlsx", params=params, headers=admin)
    assert response.status_code == 200, response.text
    names = {
        row[0]
        for row in load_workbook(io.BytesIO(response.content))["仪器"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert "§\ufffd𒝺 控制字符" in names
    assert '\'=HYPERLINK("http://x","点我")' in names
