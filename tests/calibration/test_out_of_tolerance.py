"""A failed check takes the instrument out of service and traces what it may have affected."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook

from server.calibration.usability import UnusableReason, check_usability
from tests.harness.app import Login
from tests.harness.calibration import insert_booking
from tests.harness.factories import World

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday, 12:00 in Shanghai


def d(days: float) -> datetime:
    return NOW + timedelta(days=days)


async def _export(app: FastAPI, demo: World, start: datetime, end: datetime) -> uuid.UUID:
    from server.calibration.exports import record_export

    async with app.state.sessionmaker() as session, session.begin():
        export = await record_export(
            session,
            user=demo.users["buyer@jingce.demo"],
            instrument_id=demo.instrument.id,
            range_start=start,
            range_end=end,
            fmt="csv",
        )
        return export.id


async def test_failed_check_reports_exactly_the_affected_bookings_and_exports(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    base = f"/api/v1/instruments/{demo.instrument.id}/calibration"
    certificate = await client.post(
        f"{base}/certificates",
        headers=manager,
        json={
            "number": "JJ2026-0042",
            "agency": "浙江省计量科学研究院",
            "granted_on": "2025-10-28",
            "valid_from": d(-400).isoformat(),
            "valid_to": d(300).isoformat(),
            "result": "pass",
            "expanded_uncertainty": 0.3,
            "coverage_factor": 2,
            "corrections": [{"device": "chamber-1", "point": "temperature", "offset": -0.2}],
        },
    )
    assert certificate.status_code == 201, certificate.text
    passing = await client.post(
        f"{base}/checks",
        headers=manager,
        json={
            "performed_at": d(-10).isoformat(),
            "reference_value": 50.0,
            "measured_value": 50.2,
            "tolerance": 0.5,
        },
    )
    assert passing.status_code == 201
    assert passing.json()["check"]["result"] == "pass"
    assert passing.json()["out_of_service"] is None

    await insert_booking(app, demo, d(-20), 2, "completed")  # before the last passing check
    used = await insert_booking(app, demo, d(-5), 3, "completed")
    await insert_booking(app, demo, d(-3), 2, "cancelled")  # never used
    straddling = await insert_booking(app, demo, d(-10) - timedelta(hours=1), 2, "completed")
    await _export(app, demo, d(-30), d(-15))  # data from before the suspect period
    exported = await _export(app, demo, d(-12), d(-3))

    failed = await client.post(
        f"{base}/checks",
        headers=manager,
        json={
            "performed_at": NOW.isoformat(),
            "reference_value": 50.0,
            "measured_value": 51.4,
            "tolerance": 0.5,
            "procedure": "JJF 1101 中心点温度偏差",
        },
    )
    assert failed.status_code == 201, failed.text
    body = failed.json()
    assert body["check"]["result"] == "fail"
    assert body["out_of_service"]["cause_kind"] == "check_failed"
    report = body["impact_report"]
    assert datetime.fromisoformat(report["since"]) == d(-10)
    assert {b["booking_id"] for b in report["bookings"]} == {str(used), str(straddling)}
    assert [e["export_id"] for e in report["exports"]] == [str(exported)]
    buyer = demo.users["buyer@jingce.demo"]
    assert report["bookings"][0]["organisation_name"] == "杭州精测科技有限公司"
    assert report["notified_user_ids"] == [str(buyer.id)]

    status = await client.get(f"{base}/status", headers=manager)
    assert status.json()["state"] == "out_of_service"
    async with app.state.sessionmaker() as session:
        usability = await check_usability(session, demo.instrument.id, d(1), d(2), now=NOW)
    assert [b.reason for b in usability.blocked] == [UnusableReason.OUT_OF_SERVICE]

    csv_export = await client.get(
        f"/api/v1/impact-reports/{report['id']}/export", headers=manager, params={"format": "csv"}
    )
    assert csv_export.status_code == 200
    assert str(used) in csv_export.text
    assert "杭州精测科技有限公司" in csv_export.text
    xlsx = await client.get(
        f"/api/v1/impact-reports/{report['id']}/export", headers=manager, params={"format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    kinds = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert kinds == ["booking", "booking", "export"]

    # Restart needs someone to authorise it, and that is recorded.
    returned = await client.post(
        f"/api/v1/out-of-service/{body['out_of_service']['id']}/return",
        headers=manager,
        json={"remarks": "重新校准合格 / recalibrated", "at": d(1).isoformat()},
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["return_authorised_by"] == str(demo.users["manager@zjim.demo"].id)
    audit = await client.get(
        "/api/v1/audit",
        headers=manager,
        params={"entity": "out_of_service", "entity_id": body["out_of_service"]["id"]},
    )
    actions = [e["action"] for e in audit.json()]
    assert actions == ["return_to_service", "create"]
    assert audit.json()[0]["before"]["end_at"] is None
    assert audit.json()[0]["after"]["end_at"] is not None


async def test_failed_calibration_certificate_also_takes_the_instrument_out(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    response = await client.post(
        f"/api/v1/instruments/{demo.instrument.id}/calibration/certificates",
        headers=manager,
        json={
            "number": "JJ2026-0099",
            "agency": "外部校准机构",
            "granted_on": "2026-12-01",
            "valid_from": NOW.isoformat(),
            "valid_to": d(365).isoformat(),
            "result": "fail",
            "acceptance_criteria": "|偏差| ≤ 0.5 °C",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["out_of_service"]["cause_kind"] == "calibration_failed"
    assert response.json()["impact_report"]["since"] is None
