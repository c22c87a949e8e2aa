"""Every registry and calibration endpoint keeps tenants apart.

Another institution's manager gets 404 (existence is never revealed); an enterprise user may
not write anything (403), and reads nothing but the catalogue.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.app import Login
from tests.harness.factories import ZJU, World

CERTIFICATE: dict[str, object] = {
    "number": "JJ-T-1",
    "agency": "浙江省计量科学研究院",
    "granted_on": "2026-01-05",
    "valid_from": "2026-01-05T00:00:00+08:00",
    "valid_to": "2027-01-05T00:00:00+08:00",
    "result": "pass",
}
CHECK: dict[str, object] = {"performed_at": "2026-06-01T09:00:00+08:00", "result": "pass"}
MAINTENANCE: dict[str, object] = {
    "start_at": "2026-12-10T09:00:00+08:00",
    "end_at": "2026-12-10T12:00:00+08:00",
    "description": "保养",
}
EVENT: dict[str, object] = {
    "kind": "fault",
    "occurred_at": "2026-06-01T09:00:00+08:00",
    "description": "报警",
}


def _writes(instrument: uuid.UUID, user: uuid.UUID) -> list[tuple[str, str, dict[str, object]]]:
    base = f"/api/v1/instruments/{instrument}"
    return [
        ("POST", f"{base}/calibration/certificates", CERTIFICATE),
        ("POST", f"{base}/calibration/checks", CHECK),
        ("POST", f"{base}/maintenance-windows", MAINTENANCE),
        ("POST", f"{base}/out-of-service", {"reason": "test"}),
        ("POST", f"{base}/events", EVENT),
        ("POST", f"{base}/authorisations", {"user_id": str(user), "trained_on": "2026-01-01"}),
        ("PATCH", f"{base}/record", {"category": "环境试验设备"}),
        ("PUT", f"{base}/scope-items", {"scope_item_ids": []}),
    ]


def _staff_reads(instrument: uuid.UUID) -> list[str]:
    base = f"/api/v1/instruments/{instrument}"
    return [
        f"{base}/calibration",
        f"{base}/events",
        f"{base}/authorisations",
        f"{base}/attachments",
    ]


async def test_another_institutions_manager_gets_404_everywhere(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    zju = await login("manager@zju.demo")
    buyer = demo.users["buyer@jingce.demo"].id
    for method, url, body in _writes(demo.instrument.id, buyer):
        response = await client.request(method, url, headers=zju, json=body)
        assert response.status_code == 404, (method, url, response.text)
    for url in _staff_reads(demo.instrument.id):
        response = await client.get(url, headers=zju)
        assert response.status_code == 404, (url, response.text)
    upload = await client.post(
        f"/api/v1/instruments/{demo.instrument.id}/attachments",
        headers=zju,
        files={"file": ("manual.pdf", b"%PDF-1.4", "application/pdf")},
        data={"kind": "manual"},
    )
    assert upload.status_code == 404


async def test_enterprise_users_cannot_write_and_see_only_the_catalogue(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    buyer_id = demo.users["buyer@jingce.demo"].id
    for method, url, body in _writes(demo.instrument.id, buyer_id):
        response = await client.request(method, url, headers=buyer, json=body)
        assert response.status_code == 403, (method, url, response.text)
    for url in _staff_reads(demo.instrument.id):
        assert (await client.get(url, headers=buyer)).status_code == 404, url
    assert (await client.get("/api/v1/audit", headers=buyer)).status_code == 403
    # The open instrument's record and status label are public catalogue facts.
    record = await client.get(f"/api/v1/instruments/{demo.instrument.id}/record", headers=buyer)
    assert record.status_code == 200
    status = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/calibration/status", headers=buyer
    )
    assert status.json()["state"] == "expired"


async def test_reports_and_records_of_another_institution_are_hidden(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    zjim = await login("manager@zjim.demo")
    failed = await client.post(
        f"/api/v1/instruments/{demo.instrument.id}/calibration/certificates",
        headers=zjim,
        json={**CERTIFICATE, "result": "fail"},
    )
    report_id = failed.json()["impact_report"]["id"]
    record_id = failed.json()["out_of_service"]["id"]
    zju = await login("manager@zju.demo")
    for url in (
        f"/api/v1/impact-reports/{report_id}",
        f"/api/v1/impact-reports/{report_id}/export",
    ):
        assert (await client.get(url, headers=zju)).status_code == 404
    back = await client.post(
        f"/api/v1/out-of-service/{record_id}/return", headers=zju, json={"remarks": "x"}
    )
    assert back.status_code == 404
    audit = await client.get("/api/v1/audit", headers=zju)
    # Nothing of the other institution's: at most the job runner's assessment of ZJU's own
    # credit class (an entry about ZJU itself).
    zju_id = str(demo.organisations[ZJU].id)
    foreign = [
        e for e in audit.json() if not (e["entity"] == "credit_class" and e["entity_id"] == zju_id)
    ]
    assert foreign == []
    gateway = await client.get(f"/api/v1/gateways/{demo.gateway.id}/calibration-set", headers=zju)
    assert gateway.status_code == 404


@pytest.mark.parametrize("email", ["staff@zjim.demo"])
async def test_lab_staff_record_checks_but_not_certificates(
    client: httpx.AsyncClient, demo: World, login: Login, email: str
) -> None:
    staff = await login(email)
    base = f"/api/v1/instruments/{demo.instrument.id}"
    check = await client.post(f"{base}/calibration/checks", headers=staff, json=CHECK)
    assert check.status_code == 201
    cert = await client.post(f"{base}/calibration/certificates", headers=staff, json=CERTIFICATE)
    assert cert.status_code == 403
