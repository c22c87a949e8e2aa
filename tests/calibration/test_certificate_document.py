"""A calibration certificate's PDF: the manager uploads it, staff read it back, nobody else does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.harness.app import Login
from tests.harness.factories import World

NOW = datetime.now(UTC)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def _certificate(client: httpx.AsyncClient, demo: World, manager: dict[str, str]) -> str:
    response = await client.post(
        f"/api/v1/instruments/{demo.instrument.id}/calibration/certificates",
        headers=manager,
        json={
            "number": "ZJIM-2026-0042",
            "agency": "浙江省计量科学研究院",
            "granted_on": (NOW - timedelta(days=3)).date().isoformat(),
            "valid_from": (NOW - timedelta(days=3)).isoformat(),
            "valid_to": (NOW + timedelta(days=362)).isoformat(),
            "result": "pass",
        },
    )
    assert response.status_code == 201, response.text
    certificate_id: str = response.json()["certificate"]["id"]
    return certificate_id


async def test_the_manager_attaches_the_pdf_and_staff_read_it_back(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    certificate_id = await _certificate(client, demo, manager)
    url = f"/api/v1/calibration/certificates/{certificate_id}/document"

    attached = await client.post(
        url, headers=manager, files={"file": ("校准证书 0042.pdf", PDF, "application/pdf")}
    )
    assert attached.status_code == 200, attached.text
    document = attached.json()["document_attachment_id"]
    assert document

    # The overview lists the certificate with its document; staff of the lab can open it.
    staff = await login("staff@zjim.demo")
    overview = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/calibration", headers=staff
    )
    listed = {c["number"]: c for c in overview.json()["certificates"]}
    assert listed["ZJIM-2026-0042"]["document_attachment_id"] == document
    content = await client.get(f"/api/v1/attachments/{document}/content", headers=staff)
    assert content.status_code == 200
    assert content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''%E6%A0%A1%E5%87%86" in content.headers["content-disposition"]

    # Kept among the instrument's attachments as a certificate, and in the audit trail.
    attachments = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/attachments", headers=manager
    )
    assert [(a["kind"], a["filename"]) for a in attachments.json()] == [
        ("certificate", "校准证书 0042.pdf")
    ]
    history = await client.get(
        "/api/v1/audit",
        headers=manager,
        params={"entity": "calibration_certificate", "entity_id": certificate_id},
    )
    changes = [e for e in history.json() if e["action"] == "update"]
    assert changes
    assert changes[0]["after"]["document_attachment_id"] == document


async def test_only_a_pdf_from_the_owning_institution_is_taken(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    certificate_id = await _certificate(client, demo, manager)
    url = f"/api/v1/calibration/certificates/{certificate_id}/document"

    png = await client.post(
        url, headers=manager, files={"file": ("scan.pdf", b"\x89PNG\r\n\x1a\n", "application/pdf")}
    )
    assert png.status_code == 422
    assert png.json()["code"] == "certificate_not_pdf"
    assert png.json()["errors"][0]["field"] == "file"

    for email, status in (("manager@zju.demo", 404), ("staff@zjim.demo", 403)):
        other = await client.post(
            url, headers=await login(email), files={"file": ("c.pdf", PDF, "application/pdf")}
        )
        assert other.status_code == status, (email, other.text)

    # Nothing was kept by the refused uploads.
    attachments = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/attachments", headers=manager
    )
    assert attachments.json() == []
    missing = await client.post(
        "/api/v1/calibration/certificates/00000000-0000-4000-8000-000000000000/document",
        headers=manager,
        files={"file": ("c.pdf", PDF, "application/pdf")},
    )
    assert missing.status_code == 404
