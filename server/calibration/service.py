"""Calibration programme rules: who records what, and what a failed finding sets off."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import add_audited, snapshot
from server.auth.models import AppUser, Role
from server.calibration.hooks import instrument_became_unusable
from server.calibration.impact import (
    affected_bookings,
    affected_exports,
    last_passing_before,
    to_json,
)
from server.calibration.models import (
    CalibrationCertificate,
    CheckResult,
    ImpactReport,
    IntermediateCheck,
    MaintenanceWindow,
    OutOfService,
    OutOfServiceCause,
)
from server.calibration.schemas import (
    CertificateCreate,
    CheckCreate,
    MaintenanceCreate,
    OutOfServiceCreate,
    ReturnToService,
)
from server.calibration.status import (
    DEFAULT_DUE_SOON_LEAD,
    CalibrationStatus,
    CertificateSpan,
    calibration_status,
)
from server.catalog.models import Channel, Instrument
from server.catalog.service import get_instrument_for_staff
from server.core.booking_status import USED_STATUSES
from server.core.errors import Conflict, NotFound, ValidationFailed
from server.registry.notices import notify_users
from server.registry.records import (
    get_or_not_found,
    instrument_for_manager,
    instrument_for_writer,
)
from server.registry.service import add_attachment

__all__ = [
    "CERTIFICATE_NOT_PDF",
    "add_maintenance",
    "attach_certificate_document",
    "calibration_statuses",
    "get_impact_report",
    "record_certificate",
    "record_check",
    "return_to_service",
    "send_calibration_reminders",
    "take_out_of_service",
]

_STATUS_SQL = text(
    """
    SELECT i.id, i.calibration_required,
           EXISTS (SELECT 1 FROM out_of_service o
                   WHERE o.instrument_id = i.id AND o.start_at <= :now
                     AND (o.end_at IS NULL OR o.end_at > :now)) AS out_of_service,
           c.number, c.valid_from, c.valid_to
    FROM instrument i
    LEFT JOIN calibration_certificate c ON c.instrument_id = i.id AND c.result = 'pass'
    WHERE i.id = ANY(:ids)
    """
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


async def calibration_statuses(
    session: AsyncSession,
    instrument_ids: Sequence[uuid.UUID],
    now: datetime,
    lead: timedelta = DEFAULT_DUE_SOON_LEAD,
) -> dict[uuid.UUID, CalibrationStatus]:
    """Status at a glance for many instruments in one query."""
    if not instrument_ids:
        return {}
    connection = await session.connection()
    rows = (await connection.execute(_STATUS_SQL, {"ids": list(instrument_ids), "now": now})).all()
    spans: dict[uuid.UUID, list[CertificateSpan]] = defaultdict(list)
    facts: dict[uuid.UUID, tuple[bool, bool]] = {}
    for row in rows:
        facts[row.id] = (row.calibration_required, row.out_of_service)
        if row.number is not None:
            spans[row.id].append(CertificateSpan(row.number, row.valid_from, row.valid_to, True))
    return {
        instrument_id: calibration_status(
            now=now,
            calibration_required=required,
            certificates=spans[instrument_id],
            out_of_service=out,
            lead=lead,
        )
        for instrument_id, (required, out) in facts.items()
    }


async def _check_corrections(
    session: AsyncSession, instrument: Instrument, data: CertificateCreate
) -> None:
    if not data.corrections:
        return
    channels = (
        await session.exec(select(Channel).where(Channel.instrument_id == instrument.id))
    ).all()
    known = {(c.device_key, c.point_key) for c in channels}
    for index, correction in enumerate(data.corrections):
        if (correction.device, correction.point) not in known:
            raise ValidationFailed.for_field(
                f"corrections.{index}",
                f"the instrument has no channel {correction.device}/{correction.point}",
            )


async def _open_out_of_service(
    session: AsyncSession, instrument_id: uuid.UUID
) -> OutOfService | None:
    query = select(OutOfService).where(
        OutOfService.instrument_id == instrument_id, col(OutOfService.end_at).is_(None)
    )
    return (await session.exec(query)).first()


async def take_out_of_service(
    session: AsyncSession,
    user: AppUser,
    instrument: Instrument,
    *,
    reason: str,
    cause: OutOfServiceCause,
    cause_id: uuid.UUID | None,
    at: datetime,
) -> OutOfService:
    """Mark the instrument out of service from ``at``; an open record is kept, not doubled."""
    existing = await _open_out_of_service(session, instrument.id)
    if existing is not None:
        return existing
    record = OutOfService(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        start_at=at,
        reason=reason,
        cause_kind=cause.value,
        cause_id=cause_id,
        authorised_by=user.id,
    )
    await add_audited(session, user, record, entity="out_of_service")
    await instrument_became_unusable(session, at, [instrument.id])
    return record


async def manual_out_of_service(
    session: AsyncSession,
    user: AppUser,
    instrument_id: uuid.UUID,
    data: OutOfServiceCreate,
    now: datetime,
) -> OutOfService:
    instrument = await instrument_for_manager(session, user, instrument_id)
    if await _open_out_of_service(session, instrument.id) is not None:
        raise Conflict("The instrument is already out of service")
    return await take_out_of_service(
        session,
        user,
        instrument,
        reason=data.reason,
        cause=OutOfServiceCause.MANUAL,
        cause_id=None,
        at=data.start_at or now,
    )


async def return_to_service(
    session: AsyncSession,
    user: AppUser,
    out_of_service_id: uuid.UUID,
    data: ReturnToService,
    now: datetime,
) -> OutOfService:
    """Close an out-of-service record, recording who authorised the restart (§7.10)."""
    record = await get_or_not_found(
        session,
        OutOfService,
        out_of_service_id,
        "Out-of-service record",
        partial(instrument_for_manager, session, user),
    )
    if record.end_at is not None:
        raise Conflict("The instrument was already returned to service")
    at = data.at or now
    if at <= record.start_at:
        raise ValidationFailed.for_field("at", "return must be after the start of the record")
    before = snapshot(record)
    record.end_at = at
    record.return_authorised_by = user.id
    record.return_remarks = data.remarks
    return await add_audited(
        session, user, record, entity="out_of_service", action="return_to_service", before=before
    )


async def _out_of_tolerance(
    session: AsyncSession,
    user: AppUser,
    instrument: Instrument,
    *,
    cause: OutOfServiceCause,
    cause_id: uuid.UUID,
    found_at: datetime,
    reason: str,
) -> tuple[OutOfService, ImpactReport]:
    record = await take_out_of_service(
        session, user, instrument, reason=reason, cause=cause, cause_id=cause_id, at=found_at
    )
    since = await last_passing_before(session, instrument.id, found_at, cause_id)
    bookings = await affected_bookings(session, instrument.id, since, found_at)
    exports = await affected_exports(session, instrument.id, since, found_at)
    # Bookings still to come are not told here: the booking domain flags them (and tells
    # their users) when the instrument goes out of service, see take_out_of_service.
    used = [r for r in bookings if r["period"] == "suspect_period" or r["status"] in USED_STATUSES]
    concerned = [r["user_id"] for r in used if r.get("user_id")] + [r["user_id"] for r in exports]
    organisations = {r["organisation_id"] for r in used + exports if r.get("organisation_id")}
    admins: list[uuid.UUID] = []
    if organisations:
        admins = list(
            (
                await session.exec(
                    select(AppUser.id).where(
                        col(AppUser.organisation_id).in_(organisations),
                        AppUser.role == Role.ENTERPRISE_ADMIN.value,
                        col(AppUser.is_active),
                    )
                )
            ).all()
        )
    report = ImpactReport(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        out_of_service_id=record.id,
        cause_kind=cause.value,
        cause_id=cause_id,
        since=since,
        found_at=found_at,
        bookings=to_json(bookings),
        exports=to_json(exports),
        created_by=user.id,
    )
    session.add(report)
    await session.flush()
    told = await notify_users(
        session,
        user_ids=[*concerned, *admins],
        kind="calibration.out_of_tolerance",
        title=f"{instrument.name}: 仪器超差停用 / out of tolerance",
        body=(
            f"{instrument.name} ({instrument.name_en or ''}) failed a calibration or check on "
            f"{found_at.isoformat()}. Results obtained with it since "
            f"{since.isoformat() if since else 'its first use'} may be affected; "
            "the laboratory will contact you about re-testing."
        ),
        data={"instrument_id": str(instrument.id), "impact_report_id": str(report.id)},
        dedupe_key=f"impact:{report.id}",
    )
    report.notified_user_ids = [str(u) for u in told]
    await add_audited(session, user, report, entity="impact_report")
    return record, report


CERTIFICATE_NOT_PDF = "certificate_not_pdf"
"""Problem code: the file given as a certificate's document is not a PDF."""


async def attach_certificate_document(
    session: AsyncSession,
    user: AppUser,
    certificate_id: uuid.UUID,
    *,
    filename: str,
    content: bytes,
) -> CalibrationCertificate:
    """Keep the certificate's PDF with the instrument's attachments (kind ``certificate``) and
    point the certificate at it; a later upload replaces the pointer, the earlier file stays
    in the instrument's attachments. Only PDFs: the bytes must start as a PDF does."""
    certificate = await session.get(CalibrationCertificate, certificate_id)
    if certificate is None:
        raise NotFound(f"Certificate {certificate_id} not found")
    # Its institution's managers only; others learn nothing of it.
    await instrument_for_manager(session, user, certificate.instrument_id)
    if content and not content.startswith(b"%PDF-"):
        raise ValidationFailed.for_field(
            "file", "a certificate's document must be a PDF", code=CERTIFICATE_NOT_PDF
        )
    attachment = await add_attachment(
        session,
        user,
        certificate.instrument_id,
        kind="certificate",
        filename=filename,
        content_type="application/pdf",
        content=content,
    )
    before = snapshot(certificate)
    certificate.document_attachment_id = attachment.id
    return await add_audited(
        session, user, certificate, entity="calibration_certificate", action="update", before=before
    )


async def record_certificate(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, data: CertificateCreate
) -> tuple[CalibrationCertificate, OutOfService | None, ImpactReport | None]:
    instrument = await instrument_for_manager(session, user, instrument_id)
    await _check_corrections(session, instrument, data)
    certificate = CalibrationCertificate(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        recorded_by=user.id,
        **data.model_dump(exclude={"corrections", "result"}),
        corrections=[c.model_dump() for c in data.corrections],
        result=data.result.value,
    )
    try:
        await add_audited(session, user, certificate, entity="calibration_certificate")
    except IntegrityError as exc:
        raise Conflict(
            f"Certificate {data.number} is already recorded for this instrument"
        ) from exc
    if data.result is CheckResult.PASS:
        return certificate, None, None
    record, report = await _out_of_tolerance(
        session,
        user,
        instrument,
        cause=OutOfServiceCause.CALIBRATION_FAILED,
        cause_id=certificate.id,
        found_at=data.valid_from,
        reason=f"calibration {data.number} failed its acceptance criteria",
    )
    return certificate, record, report


async def record_check(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, data: CheckCreate
) -> tuple[IntermediateCheck, OutOfService | None, ImpactReport | None]:
    instrument = await instrument_for_writer(session, user, instrument_id)
    result = data.result
    if result is None:
        assert data.reference_value is not None
        assert data.measured_value is not None
        assert data.tolerance is not None
        within = abs(data.measured_value - data.reference_value) <= data.tolerance
        result = CheckResult.PASS if within else CheckResult.FAIL
    check = IntermediateCheck(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        performed_by=user.id,
        **data.model_dump(exclude={"result"}),
        result=result.value,
    )
    await add_audited(session, user, check, entity="intermediate_check")
    if result is CheckResult.PASS:
        return check, None, None
    record, report = await _out_of_tolerance(
        session,
        user,
        instrument,
        cause=OutOfServiceCause.CHECK_FAILED,
        cause_id=check.id,
        found_at=data.performed_at,
        reason="intermediate check failed its acceptance criteria",
    )
    return check, record, report


async def add_maintenance(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, data: MaintenanceCreate
) -> MaintenanceWindow:
    instrument = await instrument_for_manager(session, user, instrument_id)
    window = MaintenanceWindow(
        instrument_id=instrument.id,
        organisation_id=instrument.organisation_id,
        created_by=user.id,
        **data.model_dump(),
    )
    return await add_audited(session, user, window, entity="maintenance_window")


async def get_impact_report(
    session: AsyncSession, user: AppUser, report_id: uuid.UUID
) -> ImpactReport:
    return await get_or_not_found(
        session,
        ImpactReport,
        report_id,
        "Impact report",
        partial(get_instrument_for_staff, session, user),
    )


_REMINDER_SQL = text(
    """
    SELECT i.id, i.name, i.organisation_id, max(c.valid_to) AS valid_to
    FROM instrument i
    JOIN calibration_certificate c ON c.instrument_id = i.id AND c.result = 'pass'
    WHERE i.calibration_required
    GROUP BY i.id
    HAVING max(c.valid_to) > :now AND max(c.valid_to) <= :horizon
    """
)


async def send_calibration_reminders(
    session: AsyncSession, now: datetime, lead_days: Sequence[int] = (30, 7)
) -> int:
    """Remind each institution's lab managers of calibrations falling due within a lead time.

    Each certificate end gets one reminder per lead time, and only for the tightest lead time
    it is within: a first run five days before the end sends the 7-day reminder, not also the
    30-day one. A reminder is sent once, however often this runs (``dedupe_key``).
    """
    leads = sorted(set(lead_days))
    if not leads:
        return 0
    sent = 0
    connection = await session.connection()
    rows = (
        await connection.execute(
            _REMINDER_SQL, {"now": now, "horizon": now + timedelta(days=leads[-1])}
        )
    ).all()
    for row in rows:
        lead = next(d for d in leads if row.valid_to <= now + timedelta(days=d))
        managers = (
            await session.exec(
                select(AppUser.id).where(
                    AppUser.organisation_id == row.organisation_id,
                    AppUser.role == Role.LAB_MANAGER.value,
                    col(AppUser.is_active),
                )
            )
        ).all()
        told = await notify_users(
            session,
            user_ids=managers,
            kind="calibration.due",
            title=f"{row.name}: 校准即将到期 / calibration due",
            body=f"{row.name} must be recalibrated before {row.valid_to.isoformat()}.",
            data={"instrument_id": str(row.id), "valid_to": row.valid_to.isoformat()},
            dedupe_key=f"due:{row.id}:{row.valid_to.isoformat()}:{lead}",
        )
        sent += len(told)
    return sent
