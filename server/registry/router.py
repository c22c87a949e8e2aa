"""``/api/v1`` registry endpoints: CMA qualification, instrument records, history,
authorisations, attachments and the audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from sqlmodel import col, select

from server.audit.trail import audit_entries
from server.auth.dependencies import CurrentUser
from server.auth.models import INSTITUTION_ROLES, AppUser, Organisation
from server.auth.tenancy import is_platform_admin, role_of
from server.catalog.models import Instrument
from server.catalog.service import get_instrument_for_staff, get_visible_instrument
from server.catalog.visibility import redact_instrument
from server.core.clock import Clock
from server.core.db import SessionDep
from server.core.errors import Forbidden, NotFound, content_responses, problem_responses
from server.registry import bulk_import, service
from server.registry.authorisations import lapses_at
from server.registry.cma import cma_status, parse_cma_number
from server.registry.models import (
    CmaCertificate,
    EquipmentEvent,
    InstrumentAttachment,
    OperatorAuthorisation,
)
from server.registry.records import instrument_rows
from server.registry.schemas import (
    AttachmentPublic,
    AuditEntry,
    AuthorisationCreate,
    AuthorisationPublic,
    CmaCertificateCreate,
    CmaCertificatePublic,
    CmaPublicStatus,
    EquipmentEventCreate,
    EquipmentEventPublic,
    InstrumentRecord,
    InstrumentRecordUpdate,
    ScopeItemCreate,
    ScopeItemPublic,
    ScopeLinks,
)

__all__ = ["public_router", "router"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
router = APIRouter(tags=["registry"])
# No login: the public must be able to check a CMA certificate (docs/domain-rules.md §4).
public_router = APIRouter(tags=["registry"])


def _cma_status_on(certificate: CmaCertificate, now: Clock) -> str:
    """One status rule for staff and public alike, on the calendar date in China."""
    today = now.astimezone(SHANGHAI).date()
    return cma_status(certificate.issued_on, certificate.valid_until, today).value


async def _cma_public(
    session: SessionDep, certificate: CmaCertificate, now: Clock
) -> CmaCertificatePublic:
    scope = await service.scope_of(session, [certificate.id])
    return CmaCertificatePublic.model_validate(
        {
            **certificate.model_dump(),
            "status": _cma_status_on(certificate, now),
            "scope": [ScopeItemPublic.model_validate(s) for s in scope],
        }
    )


@router.get("/cma-certificates", response_model=list[CmaCertificatePublic])
async def list_cma_certificates(
    session: SessionDep, user: CurrentUser, now: Clock
) -> list[CmaCertificatePublic]:
    """Your institution's CMA certificates with their approved scope."""
    return [
        await _cma_public(session, c, now)
        for c in await service.list_cma_certificates(session, user)
    ]


@router.post(
    "/cma-certificates", response_model=CmaCertificatePublic, status_code=status.HTTP_201_CREATED
)
async def create_cma_certificate(
    session: SessionDep, user: CurrentUser, now: Clock, body: CmaCertificateCreate
) -> CmaCertificatePublic:
    return await _cma_public(
        session, await service.create_cma_certificate(session, user, body), now
    )


@router.post(
    "/cma-certificates/{certificate_id}/scope-items",
    response_model=ScopeItemPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_scope_item(
    session: SessionDep, user: CurrentUser, certificate_id: uuid.UUID, body: ScopeItemCreate
) -> ScopeItemPublic:
    return ScopeItemPublic.model_validate(
        await service.add_scope_item(session, user, certificate_id, body)
    )


@public_router.get("/public/cma-certificates/{number}", response_model=CmaPublicStatus)
async def cma_certificate_status(session: SessionDep, now: Clock, number: str) -> CmaPublicStatus:
    parse_cma_number(number)  # a malformed number is a 422 naming the bad part, never a 404
    certificate = (
        await session.exec(select(CmaCertificate).where(CmaCertificate.number == number))
    ).first()
    if certificate is None:
        raise NotFound(f"No CMA certificate {number} is registered here")
    institution = await session.get(Organisation, certificate.organisation_id)
    assert institution is not None
    return CmaPublicStatus(
        number=certificate.number,
        institution=institution.name,
        institution_en=institution.name_en,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        status=_cma_status_on(certificate, now),
    )


async def _record(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> InstrumentRecord:
    instrument = await session.get(Instrument, instrument_id)
    assert instrument is not None
    scope = await service.scope_of_instrument(session, instrument_id)
    fields = {
        **instrument.model_dump(),
        "scope": [ScopeItemPublic.model_validate(s) for s in scope],
    }
    # Only the fields this user may see are set; exclude_unset leaves the others out.
    return InstrumentRecord.model_validate(
        redact_instrument(fields, user, instrument.organisation_id)
    )


@router.get(
    "/instruments/{instrument_id}/record",
    response_model=InstrumentRecord,
    response_model_exclude_unset=True,
)
async def get_record(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> InstrumentRecord:
    """The instrument's record (docs/domain-rules.md §1) and the CMA scope it serves; asset
    and contact fields only for those who may see them (server.catalog.visibility)."""
    instrument = await get_visible_instrument(session, user, instrument_id)
    return await _record(session, user, instrument.id)


@router.patch(
    "/instruments/{instrument_id}/record",
    response_model=InstrumentRecord,
    response_model_exclude_unset=True,
)
async def update_record(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: InstrumentRecordUpdate
) -> InstrumentRecord:
    instrument = await service.update_record(session, user, instrument_id, body)
    return await _record(session, user, instrument.id)


@router.put("/instruments/{instrument_id}/scope-items", response_model=list[ScopeItemPublic])
async def link_scope(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: ScopeLinks
) -> list[ScopeItemPublic]:
    items = await service.link_scope(session, user, instrument_id, body.scope_item_ids)
    return [ScopeItemPublic.model_validate(i) for i in items]


@router.get("/instruments/{instrument_id}/events", response_model=list[EquipmentEventPublic])
async def list_events(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> list[EquipmentEventPublic]:
    """Maintenance, faults, damage, repairs and modifications, newest first."""
    instrument = await get_instrument_for_staff(session, user, instrument_id)
    events = await instrument_rows(
        session, EquipmentEvent, instrument.id, col(EquipmentEvent.occurred_at).desc()
    )
    return [EquipmentEventPublic.model_validate(e) for e in events]


@router.post(
    "/instruments/{instrument_id}/events",
    response_model=EquipmentEventPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_event(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: EquipmentEventCreate
) -> EquipmentEventPublic:
    return EquipmentEventPublic.model_validate(
        await service.add_event(session, user, instrument_id, body)
    )


def _authorisation_public(a: OperatorAuthorisation, now: Clock) -> AuthorisationPublic:
    lapse = lapses_at(a)
    active = a.revoked_at is None and a.granted_at <= now and (lapse is None or now < lapse)
    return AuthorisationPublic.model_validate(
        {**a.model_dump(), "active": active, "lapses_at": lapse}
    )


@router.get("/instruments/{instrument_id}/authorisations", response_model=list[AuthorisationPublic])
async def list_authorisations(
    session: SessionDep, user: CurrentUser, now: Clock, instrument_id: uuid.UUID
) -> list[AuthorisationPublic]:
    instrument = await get_instrument_for_staff(session, user, instrument_id)
    authorisations = await instrument_rows(
        session, OperatorAuthorisation, instrument.id, col(OperatorAuthorisation.granted_at).desc()
    )
    holders = {
        u.id: (u, o)
        for u, o in (
            await session.exec(
                select(AppUser, Organisation)
                .join(Organisation, col(Organisation.id) == col(AppUser.organisation_id))
                .where(col(AppUser.id).in_({a.user_id for a in authorisations}))
            )
        ).all()
    }
    listed = []
    for a in authorisations:
        public = _authorisation_public(a, now)
        if a.user_id in holders:
            holder, organisation = holders[a.user_id]
            public.user_name, public.user_email = holder.full_name, holder.email
            public.organisation_name = organisation.name
        listed.append(public)
    return listed


@router.post(
    "/instruments/{instrument_id}/authorisations",
    response_model=AuthorisationPublic,
    status_code=status.HTTP_201_CREATED,
)
async def grant_authorisation(
    session: SessionDep,
    user: CurrentUser,
    now: Clock,
    instrument_id: uuid.UUID,
    body: AuthorisationCreate,
) -> AuthorisationPublic:
    authorisation = await service.grant_authorisation(session, user, instrument_id, body, now)
    return _authorisation_public(authorisation, now)


@router.post("/authorisations/{authorisation_id}/revoke", response_model=AuthorisationPublic)
async def revoke_authorisation(
    session: SessionDep, user: CurrentUser, now: Clock, authorisation_id: uuid.UUID
) -> AuthorisationPublic:
    authorisation = await service.revoke_authorisation(session, user, authorisation_id, now)
    return _authorisation_public(authorisation, now)


@router.get("/instruments/{instrument_id}/attachments", response_model=list[AttachmentPublic])
async def list_attachments(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> list[AttachmentPublic]:
    instrument = await get_instrument_for_staff(session, user, instrument_id)
    attachments = await instrument_rows(
        session, InstrumentAttachment, instrument.id, col(InstrumentAttachment.created_at)
    )
    return [AttachmentPublic.model_validate(a) for a in attachments]


@router.post(
    "/instruments/{instrument_id}/attachments",
    response_model=AttachmentPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_attachment(
    session: SessionDep,
    user: CurrentUser,
    instrument_id: uuid.UUID,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "other",
) -> AttachmentPublic:
    """Photos, manuals and certificates (up to 20 MiB each)."""
    content = await file.read(service.ATTACHMENT_MAX_BYTES + 1)
    attachment = await service.add_attachment(
        session,
        user,
        instrument_id,
        kind=kind,
        filename=file.filename or "attachment",
        content_type=file.content_type or "application/octet-stream",
        content=content,
    )
    return AttachmentPublic.model_validate(attachment)


@router.get(
    "/attachments/{attachment_id}/content",
    response_class=Response,
    responses=content_responses("*/*"),
)
async def attachment_content(
    session: SessionDep, user: CurrentUser, attachment_id: uuid.UUID
) -> Response:
    attachment = await service.get_attachment(session, user, attachment_id)
    return Response(
        attachment.content,
        media_type=attachment.content_type,
        headers={"Content-Disposition": service.attachment_disposition(attachment.filename)},
    )


@router.get("/audit", response_model=list[AuditEntry])
async def list_audit(
    session: SessionDep,
    user: CurrentUser,
    entity: str | None = None,
    entity_id: str | None = None,
    instrument_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    """The audit trail of your institution (platform admins: all), newest first.

    ``instrument_id`` gives one instrument's history: its own entries and those of the records
    that name it (cost model, certificates, checks, authorisations, out of service, ...)."""

    if not is_platform_admin(user) and role_of(user) not in INSTITUTION_ROLES:
        raise Forbidden("Only laboratory staff read the audit trail")
    organisation_id = None if is_platform_admin(user) else user.organisation_id
    entries = await audit_entries(
        session,
        organisation_id=organisation_id,
        entity=entity,
        entity_id=entity_id,
        instrument_id=instrument_id,
        limit=limit,
    )
    return [
        AuditEntry.model_validate({**entry.model_dump(), "actor_name": name})
        for entry, name in entries
    ]


@router.get(
    "/instruments/import/template",
    response_class=Response,
    responses=content_responses(bulk_import.XLSX_MEDIA_TYPE),
)
async def instrument_import_template(user: CurrentUser) -> Response:
    """The XLSX template of the bulk import (the national sharing platform's record fields)."""
    if not is_platform_admin(user) and role_of(user) not in INSTITUTION_ROLES:
        raise Forbidden("Only laboratory staff import instruments")
    return Response(
        bulk_import.template_workbook(),
        media_type=bulk_import.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": service.attachment_disposition("仪器导入模板.xlsx")},
    )


@router.post(
    "/instruments/import",
    response_model=bulk_import.ImportReport,
    responses=problem_responses(413, 415),
)
async def import_instruments(
    session: SessionDep,
    user: CurrentUser,
    now: Clock,
    lab_id: uuid.UUID,
    file: Annotated[UploadFile, File()],
    dry_run: bool = True,
) -> bulk_import.ImportReport:
    """Create or update the lab's instruments from a filled template (up to 5 MiB, 2,000 rows),
    all or none, each with its audit entry. Rows are keyed by 资产编号 (asset number): a number
    the institution already holds updates its instrument. A dry run (the default) answers the
    per-row errors and what would change; a real import with errors answers 422
    ``import-rows-invalid`` with ``row_errors`` and stores nothing."""
    content = await file.read(bulk_import.MAX_BYTES + 1)
    return await bulk_import.import_instruments(
        session,
        user,
        lab_id,
        content,
        dry_run=dry_run,
        today=now.astimezone(SHANGHAI).date(),
    )


@router.post(
    "/instruments/import/report",
    response_class=Response,
    responses={
        **content_responses(bulk_import.XLSX_MEDIA_TYPE),
        **problem_responses(413, 415),
    },
)
async def instrument_import_report(
    session: SessionDep,
    user: CurrentUser,
    now: Clock,
    lab_id: uuid.UUID,
    file: Annotated[UploadFile, File()],
) -> Response:
    """The dry run's errors as a workbook: the uploaded rows with an error column, the bad cells
    shaded; corrected, it imports as it is. Stores nothing."""
    content = await file.read(bulk_import.MAX_BYTES + 1)
    workbook = await bulk_import.error_workbook(
        session, user, lab_id, content, today=now.astimezone(SHANGHAI).date()
    )
    return Response(
        workbook,
        media_type=bulk_import.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": service.attachment_disposition("仪器导入错误.xlsx")},
    )
