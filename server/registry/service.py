"""Registry rules: CMA qualification, instrument records, history, authorisations, files."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from urllib.parse import quote

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import add_audited, audit, snapshot
from server.auth.models import AppUser, Role
from server.auth.repository import UserRepository
from server.auth.tenancy import (
    managed_institution,
    may_manage_organisation,
    may_see_organisation,
    role_of,
)
from server.catalog.models import Instrument
from server.catalog.service import get_instrument_for_staff
from server.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.registry.authorisations import active_authorisation
from server.registry.cma import check_printed_valid_until, cma_valid_until, parse_cma_number
from server.registry.models import (
    CmaCertificate,
    CmaScopeItem,
    EquipmentEvent,
    InstrumentAttachment,
    InstrumentScopeItem,
    OperatorAuthorisation,
)
from server.registry.records import (
    get_or_not_found,
    instrument_for_manager,
    instrument_for_writer,
)
from server.registry.schemas import (
    AuthorisationCreate,
    CmaCertificateCreate,
    EquipmentEventCreate,
    InstrumentRecordUpdate,
    ScopeItemCreate,
)

__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "add_attachment",
    "add_event",
    "add_scope_item",
    "attachment_disposition",
    "check_attachment_content",
    "create_cma_certificate",
    "get_attachment",
    "grant_authorisation",
    "link_scope",
    "list_cma_certificates",
    "revoke_authorisation",
    "scope_of",
    "scope_of_instrument",
    "update_record",
]

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_KINDS = ("photo", "manual", "certificate", "other")


def check_attachment_content(
    content: bytes,
    *,
    field: str = "file",
    empty_code: str | None = None,
    too_large_code: str | None = None,
) -> None:
    """Files are stored in the database (``bytea``): none empty, none over
    :data:`ATTACHMENT_MAX_BYTES` (read ``ATTACHMENT_MAX_BYTES + 1`` bytes to tell). Other domains
    storing files the same way (booking notes) check them here, with their own problem codes."""
    if not content:
        raise ValidationFailed.for_field(field, "the file is empty", code=empty_code)
    if len(content) > ATTACHMENT_MAX_BYTES:
        raise ValidationFailed.for_field(field, "files are limited to 20 MiB", code=too_large_code)


def attachment_disposition(filename: str) -> str:
    """``Content-Disposition`` of a stored file's download. Headers are latin-1: Chinese file
    names travel percent-encoded (RFC 6266 / RFC 5987)."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _require_manager(user: AppUser) -> None:
    if role_of(user) not in (Role.LAB_MANAGER, Role.PLATFORM_ADMIN):
        raise Forbidden(f"A {role_of(user).value} may not change the registry")


async def list_cma_certificates(session: AsyncSession, user: AppUser) -> Sequence[CmaCertificate]:
    query = select(CmaCertificate).order_by(col(CmaCertificate.issued_on).desc())
    if role_of(user) is not Role.PLATFORM_ADMIN:
        query = query.where(CmaCertificate.organisation_id == user.organisation_id)
    return (await session.exec(query)).all()


async def scope_of(
    session: AsyncSession, certificate_ids: Sequence[uuid.UUID]
) -> list[CmaScopeItem]:
    if not certificate_ids:
        return []
    query = (
        select(CmaScopeItem)
        .where(col(CmaScopeItem.certificate_id).in_(certificate_ids))
        .order_by(col(CmaScopeItem.category), col(CmaScopeItem.name))
    )
    return list((await session.exec(query)).all())


async def create_cma_certificate(
    session: AsyncSession, user: AppUser, data: CmaCertificateCreate
) -> CmaCertificate:
    _require_manager(user)
    organisation_id = await managed_institution(
        session,
        user,
        data.organisation_id,
        not_yours="you may only qualify your own institution",
        not_an_institution="CMA certificates belong to institutions",
    )
    parse_cma_number(data.number, issued_on=data.issued_on)
    # The date printed on the certificate counts; derived only when it was not given.
    if data.valid_until is not None:
        check_printed_valid_until(data.issued_on, data.valid_until)
    certificate = CmaCertificate(
        organisation_id=organisation_id,
        number=data.number,
        issuing_authority=data.issuing_authority,
        issued_on=data.issued_on,
        valid_until=data.valid_until or cma_valid_until(data.issued_on),
        cnas_number=data.cnas_number,
        cnas_valid_until=data.cnas_valid_until,
    )
    session.add(certificate)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"CMA certificate {data.number} is already registered") from exc
    for item in data.scope:
        session.add(CmaScopeItem(certificate_id=certificate.id, **item.model_dump()))
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="cma_certificate",
        entity_id=certificate.id,
        action="create",
        organisation_id=organisation_id,
        after={
            **(snapshot(certificate) or {}),
            "scope": [s.model_dump(mode="json") for s in data.scope],
        },
    )
    return certificate


async def add_scope_item(
    session: AsyncSession, user: AppUser, certificate_id: uuid.UUID, data: ScopeItemCreate
) -> CmaScopeItem:
    _require_manager(user)
    certificate = await session.get(CmaCertificate, certificate_id)
    if certificate is None or not may_manage_organisation(user, certificate.organisation_id):
        raise NotFound(f"CMA certificate {certificate_id} not found")
    item = CmaScopeItem(certificate_id=certificate.id, **data.model_dump())
    return await add_audited(
        session, user, item, entity="cma_scope_item", organisation_id=certificate.organisation_id
    )


async def scope_of_instrument(
    session: AsyncSession, instrument_id: uuid.UUID
) -> list[CmaScopeItem]:
    query = (
        select(CmaScopeItem)
        .join(InstrumentScopeItem, col(InstrumentScopeItem.scope_item_id) == col(CmaScopeItem.id))
        .where(InstrumentScopeItem.instrument_id == instrument_id)
        .order_by(col(CmaScopeItem.category), col(CmaScopeItem.name))
    )
    return list((await session.exec(query)).all())


async def update_record(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, data: InstrumentRecordUpdate
) -> Instrument:
    instrument = await instrument_for_manager(session, user, instrument_id)
    before = snapshot(instrument)
    for field, value in data.model_dump(exclude_unset=True).items():
        if field in ("calibration_required", "service_modes") and value is None:
            raise ValidationFailed.for_field(field, "cannot be null")
        setattr(instrument, field, value)
    session.add(instrument)
    try:
        await session.flush()
    except IntegrityError as exc:  # the only unique column a record update sets
        raise Conflict(
            f"Asset number {data.asset_number} is already used by another instrument"
        ) from exc
    await session.refresh(instrument)
    await add_audited(
        session, user, instrument, entity="instrument", action="update", before=before
    )
    return instrument


async def link_scope(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, scope_item_ids: list[uuid.UUID]
) -> list[CmaScopeItem]:
    """Set the CMA scope items the instrument serves; only its institution's own items."""
    instrument = await instrument_for_manager(session, user, instrument_id)
    wanted = list(dict.fromkeys(scope_item_ids))
    if wanted:
        query = (
            select(CmaScopeItem.id)
            .join(CmaCertificate, col(CmaCertificate.id) == col(CmaScopeItem.certificate_id))
            .where(
                col(CmaScopeItem.id).in_(wanted),
                CmaCertificate.organisation_id == instrument.organisation_id,
            )
        )
        found = set((await session.exec(query)).all())
        missing = [str(i) for i in wanted if i not in found]
        if missing:
            raise ValidationFailed.for_field(
                "scope_item_ids", f"not in your institution's CMA scope: {', '.join(missing)}"
            )
    before = [str(s.id) for s in await scope_of_instrument(session, instrument.id)]
    connection = await session.connection()
    await connection.execute(
        delete(InstrumentScopeItem).where(col(InstrumentScopeItem.instrument_id) == instrument.id)
    )
    for item_id in wanted:
        session.add(InstrumentScopeItem(instrument_id=instrument.id, scope_item_id=item_id))
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="instrument_scope",
        entity_id=instrument.id,
        action="replace",
        organisation_id=instrument.organisation_id,
        before={"scope_item_ids": before},
        after={"scope_item_ids": [str(i) for i in wanted]},
    )
    return await scope_of_instrument(session, instrument.id)


async def add_event(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, data: EquipmentEventCreate
) -> EquipmentEvent:
    instrument = await instrument_for_writer(session, user, instrument_id)
    event = EquipmentEvent(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        recorded_by=user.id,
        kind=data.kind.value,
        occurred_at=data.occurred_at,
        description=data.description,
        performed_by=data.performed_by,
    )
    return await add_audited(session, user, event, entity="equipment_event")


async def grant_authorisation(
    session: AsyncSession,
    user: AppUser,
    instrument_id: uuid.UUID,
    data: AuthorisationCreate,
    now: datetime,
) -> OperatorAuthorisation:
    instrument = await instrument_for_manager(session, user, instrument_id)
    operator = await UserRepository(session).get(data.user_id)
    if operator is None or not operator.is_active:
        raise ValidationFailed.for_field("user_id", "no such active user")
    if data.trained_by is not None:
        trainer = await UserRepository(session).get(data.trained_by)
        if trainer is None or not may_see_organisation(trainer, instrument.organisation_id):
            raise ValidationFailed.for_field(
                "trained_by", "the trainer must belong to the instrument's institution"
            )
    if data.trained_on > now.date():
        raise ValidationFailed.for_field("trained_on", "training cannot be in the future")
    existing = await active_authorisation(session, operator.id, instrument.id)
    before = snapshot(existing)
    if existing is not None:
        # Retraining replaces the old authorisation, restarting its lapse period.
        existing.revoked_at = now
        session.add(existing)
        await session.flush()
    authorisation = OperatorAuthorisation(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        user_id=operator.id,
        trained_by=data.trained_by or user.id,
        trained_on=data.trained_on,
        granted_at=now,
        lapse_after_days=data.lapse_after_days,
        remarks=data.remarks,
    )
    return await add_audited(
        session, user, authorisation, entity="operator_authorisation", action="grant", before=before
    )


async def revoke_authorisation(
    session: AsyncSession, user: AppUser, authorisation_id: uuid.UUID, now: datetime
) -> OperatorAuthorisation:
    authorisation = await get_or_not_found(
        session,
        OperatorAuthorisation,
        authorisation_id,
        "Authorisation",
        partial(instrument_for_manager, session, user),
    )
    if authorisation.revoked_at is not None:
        raise Conflict("The authorisation was already revoked")
    before = snapshot(authorisation)
    authorisation.revoked_at = now
    return await add_audited(
        session,
        user,
        authorisation,
        entity="operator_authorisation",
        action="revoke",
        before=before,
    )


async def add_attachment(
    session: AsyncSession,
    user: AppUser,
    instrument_id: uuid.UUID,
    *,
    kind: str,
    filename: str,
    content_type: str,
    content: bytes,
) -> InstrumentAttachment:
    instrument = await instrument_for_manager(session, user, instrument_id)
    if kind not in ATTACHMENT_KINDS:
        raise ValidationFailed.for_field("kind", f"use one of {', '.join(ATTACHMENT_KINDS)}")
    check_attachment_content(content)
    attachment = InstrumentAttachment(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        kind=kind,
        filename=filename,
        content_type=content_type,
        size_bytes=len(content),
        content=content,
        uploaded_by=user.id,
    )
    return await add_audited(session, user, attachment, entity="instrument_attachment")


async def get_attachment(
    session: AsyncSession, user: AppUser, attachment_id: uuid.UUID
) -> InstrumentAttachment:
    return await get_or_not_found(
        session,
        InstrumentAttachment,
        attachment_id,
        "Attachment",
        partial(get_instrument_for_staff, session, user),
    )
