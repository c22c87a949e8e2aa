"""``/api/v1`` calibration endpoints: programme, findings, out of service, impact reports."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, File, Query, Request, Response, UploadFile, status
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import CalibrationSet, TopicKind, encode, topic_for
from server.auth.dependencies import CurrentUser
from server.auth.models import AppUser, Organisation
from server.auth.tenancy import may_see_organisation
from server.calibration import service
from server.calibration.edge import (
    CalibrationPublisher,
    build_calibration_set,
    gateways_of_instrument,
    publish_calibration_sets,
)
from server.calibration.impact import report_csv, report_xlsx
from server.calibration.models import (
    CalibrationCertificate,
    ImpactReport,
    IntermediateCheck,
    MaintenanceWindow,
    OutOfService,
)
from server.calibration.schemas import (
    CalibrationOverview,
    CalibrationStatusPublic,
    CertificateCreate,
    CertificatePublic,
    CheckCreate,
    CheckPublic,
    ImpactReportPublic,
    MaintenanceCreate,
    MaintenancePublic,
    NotifiedPerson,
    OutOfServiceCreate,
    OutOfServicePublic,
    RecordedFinding,
    ReturnToService,
)
from server.calibration.status import DEFAULT_DUE_SOON_LEAD, CalibrationStatus
from server.catalog.service import get_instrument_for_staff, get_visible_instrument
from server.core.clock import Clock
from server.core.db import SessionDep
from server.core.errors import NotFound, content_responses, problem_responses
from server.gateways.models import Gateway
from server.gateways.operations import DocumentKind, mark_pushed, push_retained, store_document
from server.gateways.schemas import PushResult
from server.gateways.service import managed_gateway
from server.registry.records import instrument_rows
from server.registry.service import ATTACHMENT_MAX_BYTES

__all__ = ["router"]

router = APIRouter(tags=["calibration"])
logger = logging.getLogger(__name__)


LeadDays = Annotated[int, Query(ge=0, le=365, description="days before valid_to that are due soon")]


def _status_public(instrument_id: uuid.UUID, current: CalibrationStatus) -> CalibrationStatusPublic:
    return CalibrationStatusPublic(
        instrument_id=instrument_id,
        state=current.state,
        certificate_number=current.certificate_number,
        valid_to=current.valid_to,
        next_due_at=current.next_due_at,
    )


async def _name_notified(session: AsyncSession, reports: list[ImpactReportPublic]) -> None:
    """Fill each report's ``notified`` with the names of its notified users (one query)."""
    ids = {u for r in reports for u in r.notified_user_ids}
    if not ids:
        return
    rows = (
        await session.exec(
            select(AppUser, Organisation)
            .join(Organisation, col(Organisation.id) == col(AppUser.organisation_id))
            .where(col(AppUser.id).in_(ids))
        )
    ).all()
    people = {
        u.id: NotifiedPerson(
            user_id=u.id,
            full_name=u.full_name,
            email=u.email,
            organisation_name=o.name,
            organisation_name_en=o.name_en,
        )
        for u, o in rows
    }
    for report in reports:
        report.notified = [people[u] for u in report.notified_user_ids if u in people]


def _finding(
    certificate: CalibrationCertificate | None,
    check: IntermediateCheck | None,
    record: OutOfService | None,
    report: ImpactReport | None,
) -> RecordedFinding:
    return RecordedFinding(
        certificate=CertificatePublic.model_validate(certificate) if certificate else None,
        check=CheckPublic.model_validate(check) if check else None,
        out_of_service=OutOfServicePublic.model_validate(record) if record else None,
        impact_report=ImpactReportPublic.model_validate(report) if report else None,
    )


@router.get(
    "/instruments/{instrument_id}/calibration/status", response_model=CalibrationStatusPublic
)
async def calibration_status(
    session: SessionDep,
    user: CurrentUser,
    now: Clock,
    instrument_id: uuid.UUID,
    lead_days: LeadDays = DEFAULT_DUE_SOON_LEAD.days,
) -> CalibrationStatusPublic:
    """The status label: valid, due_soon, expired, out_of_service or not_required."""
    instrument = await get_visible_instrument(session, user, instrument_id)
    found = await service.calibration_statuses(
        session, [instrument.id], now, timedelta(days=lead_days)
    )
    return _status_public(instrument.id, found[instrument.id])


@router.get("/instruments/{instrument_id}/calibration", response_model=CalibrationOverview)
async def calibration_overview(
    session: SessionDep,
    user: CurrentUser,
    now: Clock,
    instrument_id: uuid.UUID,
    lead_days: LeadDays = DEFAULT_DUE_SOON_LEAD.days,
) -> CalibrationOverview:
    """The whole programme of one instrument, for its institution's staff."""
    instrument = await get_instrument_for_staff(session, user, instrument_id)
    current = (
        await service.calibration_statuses(session, [instrument.id], now, timedelta(days=lead_days))
    )[instrument.id]

    newest_first: dict[str, tuple[Any, Any]] = {
        "certificates": (CalibrationCertificate, CalibrationCertificate.valid_to),
        "checks": (IntermediateCheck, IntermediateCheck.performed_at),
        "maintenance": (MaintenanceWindow, MaintenanceWindow.start_at),
        "out_of_service": (OutOfService, OutOfService.start_at),
        "impact_reports": (ImpactReport, ImpactReport.found_at),
    }
    listed = {
        key: await instrument_rows(session, model, instrument.id, col(order).desc())
        for key, (model, order) in newest_first.items()
    }
    overview = CalibrationOverview.model_validate(
        {"status": _status_public(instrument.id, current), **listed}, from_attributes=True
    )
    await _name_notified(session, overview.impact_reports)
    return overview


@router.post(
    "/instruments/{instrument_id}/calibration/certificates",
    response_model=RecordedFinding,
    status_code=status.HTTP_201_CREATED,
)
async def record_certificate(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    user: CurrentUser,
    now: Clock,
    instrument_id: uuid.UUID,
    body: CertificateCreate,
) -> RecordedFinding:
    """A failed certificate takes the instrument out of service and reports the impact; a
    passing one's corrections go to the instrument's gateways once it is committed."""
    certificate, record, report = await service.record_certificate(
        session, user, instrument_id, body
    )
    publisher: CalibrationPublisher | None = getattr(request.app.state, "live_hub", None)
    if publisher is not None:
        gateway_ids = await gateways_of_instrument(session, certificate.instrument_id)
        # A background task runs after the response, so after the session has committed.
        background.add_task(
            _publish_sets, request.app.state.sessionmaker, publisher, now, gateway_ids
        )
    return _finding(certificate, None, record, report)


async def _publish_sets(
    sessionmaker: async_sessionmaker[AsyncSession],
    publisher: CalibrationPublisher,
    at: datetime,
    gateway_ids: list[uuid.UUID],
) -> None:
    try:
        await publish_calibration_sets(sessionmaker, publisher, at, gateway_ids)
    except Exception:  # the job runner publishes what is still pending on its next pass
        logger.exception("calibration sets not published after recording a certificate")


@router.post(
    "/calibration/certificates/{certificate_id}/document",
    response_model=CertificatePublic,
    responses=problem_responses(403, 404, 422),
)
async def attach_certificate_document(
    session: SessionDep,
    user: CurrentUser,
    certificate_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="the certificate as a PDF, up to 20 MiB")],
) -> CertificatePublic:
    """The certificate's PDF, kept with the instrument's attachments; read it back with
    ``GET /api/v1/attachments/{document_attachment_id}/content``."""
    content = await file.read(ATTACHMENT_MAX_BYTES + 1)
    certificate = await service.attach_certificate_document(
        session, user, certificate_id, filename=file.filename or "certificate.pdf", content=content
    )
    return CertificatePublic.model_validate(certificate)


@router.post(
    "/instruments/{instrument_id}/calibration/checks",
    response_model=RecordedFinding,
    status_code=status.HTTP_201_CREATED,
)
async def record_check(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: CheckCreate
) -> RecordedFinding:
    """A failed intermediate check takes the instrument out of service and reports the impact."""
    check, record, report = await service.record_check(session, user, instrument_id, body)
    return _finding(None, check, record, report)


@router.post(
    "/instruments/{instrument_id}/maintenance-windows",
    response_model=MaintenancePublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_maintenance(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: MaintenanceCreate
) -> MaintenancePublic:
    return MaintenancePublic.model_validate(
        await service.add_maintenance(session, user, instrument_id, body)
    )


@router.post(
    "/instruments/{instrument_id}/out-of-service",
    response_model=OutOfServicePublic,
    status_code=status.HTTP_201_CREATED,
)
async def take_out_of_service(
    session: SessionDep,
    user: CurrentUser,
    now: Clock,
    instrument_id: uuid.UUID,
    body: OutOfServiceCreate,
) -> OutOfServicePublic:
    return OutOfServicePublic.model_validate(
        await service.manual_out_of_service(session, user, instrument_id, body, now)
    )


@router.post("/out-of-service/{record_id}/return", response_model=OutOfServicePublic)
async def return_to_service(
    session: SessionDep, user: CurrentUser, now: Clock, record_id: uuid.UUID, body: ReturnToService
) -> OutOfServicePublic:
    """Return to service, recording who authorised the restart."""
    return OutOfServicePublic.model_validate(
        await service.return_to_service(session, user, record_id, body, now)
    )


@router.get("/impact-reports/{report_id}", response_model=ImpactReportPublic)
async def get_impact_report(
    session: SessionDep, user: CurrentUser, report_id: uuid.UUID
) -> ImpactReportPublic:
    report = ImpactReportPublic.model_validate(
        await service.get_impact_report(session, user, report_id)
    )
    await _name_notified(session, [report])
    return report


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/impact-reports/{report_id}/export",
    response_class=Response,
    responses=content_responses("text/csv", _XLSX),
)
async def export_impact_report(
    session: SessionDep,
    user: CurrentUser,
    report_id: uuid.UUID,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The report as CSV (UTF-8 with BOM) or XLSX, for the customer letters of §7.10."""
    report = await service.get_impact_report(session, user, report_id)
    filename = f"impact-report-{report.id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "xlsx":
        return Response(report_xlsx(report), media_type=_XLSX, headers=headers)
    return Response(report_csv(report), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/gateways/{gateway_id}/calibration-set", response_model=CalibrationSet)
async def calibration_set(
    session: SessionDep, user: CurrentUser, now: Clock, gateway_id: uuid.UUID
) -> CalibrationSet:
    """What the gateway applies now: the corrections of the valid certificates."""
    gateway = await session.get(Gateway, gateway_id)
    if gateway is None or not may_see_organisation(user, gateway.organisation_id):
        raise NotFound(f"Gateway {gateway_id} not found")
    return await build_calibration_set(session, gateway.id, now)


@router.post(
    "/gateways/{gateway_id}/calibration/push",
    response_model=PushResult,
    responses=problem_responses(503),
)
async def push_calibration(
    request: Request, session: SessionDep, user: CurrentUser, now: Clock, gateway_id: uuid.UUID
) -> PushResult:
    """Push the corrections of the gateway's instruments' valid certificates, retained."""
    gateway = await managed_gateway(session, user, gateway_id)
    calibration_set = await build_calibration_set(session, gateway.id, now)
    payload = encode(calibration_set)
    content_hash = hashlib.sha256(payload).hexdigest()
    await store_document(
        session,
        gateway,
        DocumentKind.CALIBRATION,
        body=payload.decode(),
        content_type="application/json",
        content_hash=content_hash,
        user=user,
    )
    topic = topic_for(gateway.key, TopicKind.CALIBRATION)
    pushed = await push_retained(request, topic, payload)
    if pushed:
        await mark_pushed(session, gateway, DocumentKind.CALIBRATION)
    return PushResult(topic=topic, content_hash=content_hash, pushed=pushed)
