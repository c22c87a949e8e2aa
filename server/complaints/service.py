"""Filing, answering and deciding complaints. Services only flush; the request commits.

Privacy: the complainant's identity (contact details, account, address key) is returned by
``complaint_view`` to the platform only; the institution sees what was complained about.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import audit, snapshot
from server.auth.models import INSTITUTION_ROLES, AppUser, Organisation, OrganisationKind, Role
from server.auth.tenancy import is_platform_admin, role_of
from server.complaints.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintStatus,
    Outcome,
    SubjectKind,
)
from server.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from server.notifications.service import notify

__all__ = [
    "ALLOWED_TYPES",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "RATE_LIMIT",
    "RESPONSE_DAYS",
    "Filing",
    "TooManyComplaints",
    "complaint_view",
    "decide",
    "file_complaint",
    "respond",
    "tracking_view",
]

RESPONSE_DAYS = 10  # the institution answers within this many days of filing
RATE_LIMIT = 5  # complaints per client (address, or account when logged in) ...
RATE_WINDOW = timedelta(hours=1)  # ... within this window
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Checked against the file's first bytes, not the name or the declared type.
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


class TooManyComplaints(AppError):
    status = 429
    slug = "too-many-complaints"
    title = "Too many complaints"


@dataclass
class Upload:
    filename: str
    content: bytes


@dataclass
class Filing:
    organisation_id: uuid.UUID
    subject_kind: SubjectKind
    summary: str
    details: str
    anonymous: bool = True
    report_number: str | None = None
    booking_id: uuid.UUID | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


def filer_key(address: str | None, user: AppUser | None) -> str:
    """Whom the rate limit counts: the account when logged in, else the client address (hashed,
    so the table keeps no plain addresses)."""
    raw = f"user:{user.id}" if user is not None else f"addr:{address or 'unknown'}"
    return hashlib.sha256(raw.encode()).hexdigest()


def sniff_type(content: bytes) -> str | None:
    for content_type, magics in ALLOWED_TYPES.items():
        if any(content.startswith(m) for m in magics):
            return content_type
    return None


def _tracking_number(now: datetime) -> str:
    # Unguessable: following a complaint needs nothing but this number.
    return f"TS{now:%Y%m%d}-{secrets.token_hex(5).upper()}"


async def _users(
    session: AsyncSession, *, role: Role, organisation_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    query = select(AppUser.id).where(AppUser.role == role.value, col(AppUser.is_active))
    if organisation_id is not None:
        query = query.where(AppUser.organisation_id == organisation_id)
    return list((await session.exec(query)).all())


async def _event(session: AsyncSession, complaint: Complaint, note: str, now: datetime) -> None:
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id, occurred_at=now, status=complaint.status, note=note
        )
    )


async def file_complaint(
    session: AsyncSession,
    filing: Filing,
    uploads: list[Upload],
    *,
    user: AppUser | None,
    address: str | None,
    now: datetime,
) -> Complaint:
    key = filer_key(address, user)
    recent = await session.exec(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.filer_key == key, col(Complaint.created_at) > now - RATE_WINDOW)
    )
    if recent.one() >= RATE_LIMIT:
        raise TooManyComplaints(
            f"At most {RATE_LIMIT} complaints an hour may be filed from one client; "
            "try again later",
            headers={"Retry-After": str(int(RATE_WINDOW.total_seconds()))},
        )
    organisation = await session.get(Organisation, filing.organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.INSTITUTION.value:
        raise ValidationFailed.for_field("organisation_id", "no such testing institution")
    if filing.subject_kind is SubjectKind.REPORT and not filing.report_number:
        raise ValidationFailed.for_field("report_number", "name the test report complained about")
    if filing.subject_kind is SubjectKind.BOOKING:
        if filing.booking_id is None:
            raise ValidationFailed.for_field("booking_id", "name the booking complained about")
        # Plain SQL against booking's table (booking sits above this domain).
        row = (
            await (await session.connection()).execute(
                text(
                    "SELECT i.organisation_id FROM booking b JOIN instrument i "
                    "ON i.id = b.instrument_id WHERE b.id = :id"
                ),
                {"id": filing.booking_id},
            )
        ).first()
        if row is None or row[0] != filing.organisation_id:
            raise ValidationFailed.for_field("booking_id", "no such booking at this institution")
        if user is None or not await _is_booking_party(session, filing.booking_id, user):
            raise ValidationFailed.for_field(
                "booking_id", "log in as the booking's customer to complain about a booking"
            )
    if not filing.anonymous and not (filing.contact_phone or filing.contact_email):
        raise ValidationFailed.for_field(
            "contact_email", "a named complaint needs a telephone number or an e-mail address"
        )
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationFailed.for_field("attachments", f"at most {MAX_ATTACHMENTS} files")
    checked: list[tuple[Upload, str]] = []
    for upload in uploads:
        if len(upload.content) > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed.for_field(
                "attachments", f"{upload.filename}: larger than {MAX_ATTACHMENT_BYTES // 2**20} MiB"
            )
        content_type = sniff_type(upload.content)
        if content_type is None:
            raise ValidationFailed.for_field(
                "attachments", f"{upload.filename}: only PDF, PNG and JPEG files are accepted"
            )
        checked.append((upload, content_type))
    complaint = Complaint(
        tracking_number=_tracking_number(now),
        organisation_id=filing.organisation_id,
        subject_kind=filing.subject_kind,
        report_number=filing.report_number,
        booking_id=filing.booking_id,
        summary=filing.summary,
        details=filing.details,
        anonymous=filing.anonymous,
        contact_name=None if filing.anonymous else filing.contact_name,
        contact_phone=None if filing.anonymous else filing.contact_phone,
        contact_email=None if filing.anonymous else filing.contact_email,
        filed_by=user.id if user is not None else None,
        filer_key=key,
        response_due=now + timedelta(days=RESPONSE_DAYS),
        created_at=now,
    )
    session.add(complaint)
    await session.flush()
    for upload, content_type in checked:
        session.add(
            ComplaintAttachment(
                complaint_id=complaint.id,
                filename=upload.filename[:200],
                content_type=content_type,
                size_bytes=len(upload.content),
                content=upload.content,
            )
        )
    await _event(
        session, complaint, "已受理，等待被投诉机构答复 / received, awaiting the answer", now
    )
    # The institution's lab managers are told at once: the answer deadline runs from now.
    managers = await _users(
        session, role=Role.LAB_MANAGER, organisation_id=complaint.organisation_id
    )
    await notify(
        session,
        user_ids=managers,
        kind="complaint_filed",
        title=f"收到投诉 {complaint.tracking_number} / complaint received",
        body=f"{complaint.summary}\n请于 {complaint.response_due:%Y-%m-%d} 前答复 / "
        f"answer by {complaint.response_due:%Y-%m-%d} (UTC)",
        data={"complaint_id": complaint.id, "response_due": complaint.response_due},
    )
    await session.flush()
    return complaint


async def _is_booking_party(session: AsyncSession, booking_id: uuid.UUID, user: AppUser) -> bool:
    row = (
        await (await session.connection()).execute(
            text("SELECT organisation_id FROM booking WHERE id = :id"), {"id": booking_id}
        )
    ).first()
    return row is not None and row[0] == user.organisation_id


async def get_complaint(session: AsyncSession, complaint_id: uuid.UUID, user: AppUser) -> Complaint:
    """The complaint if this user may see it; another tenant's is absent (404)."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None or not may_see(user, complaint):
        raise NotFound("No such complaint")
    return complaint


def may_see(user: AppUser, complaint: Complaint) -> bool:
    if is_platform_admin(user):
        return True
    if role_of(user) in INSTITUTION_ROLES and user.organisation_id == complaint.organisation_id:
        return True
    return complaint.filed_by == user.id


async def visible_complaints(session: AsyncSession, user: AppUser) -> list[Complaint]:
    query = select(Complaint).order_by(col(Complaint.created_at).desc())
    if not is_platform_admin(user):
        if role_of(user) in INSTITUTION_ROLES:
            query = query.where(
                or_(
                    col(Complaint.organisation_id) == user.organisation_id,
                    col(Complaint.filed_by) == user.id,
                )
            )
        else:
            query = query.where(Complaint.filed_by == user.id)
    return list((await session.exec(query)).all())


async def _audit(
    session: AsyncSession,
    user: AppUser,
    complaint: Complaint,
    action: str,
    before: dict[str, Any] | None,
) -> None:
    """Audits a change to a complaint, the filer's identity left out of both snapshots."""
    await session.flush()
    await audit(
        session,
        actor=user,
        entity="complaint",
        entity_id=complaint.id,
        action=action,
        organisation_id=complaint.organisation_id,
        before=_private(before),
        after=_private(snapshot(complaint)),
    )


async def respond(
    session: AsyncSession, complaint: Complaint, user: AppUser, text_: str, now: datetime
) -> Complaint:
    if not (
        role_of(user) is Role.LAB_MANAGER and user.organisation_id == complaint.organisation_id
    ):
        raise Forbidden("Only a lab manager of the institution complained about answers it")
    if complaint.status != ComplaintStatus.AWAITING_RESPONSE:
        raise Conflict("The complaint is no longer awaiting the institution's answer")
    before = snapshot(complaint)
    complaint.response = text_
    complaint.responded_at = now
    complaint.status = ComplaintStatus.UNDER_REVIEW
    session.add(complaint)
    late = " (after the deadline)" if now > complaint.response_due else ""
    await notify(
        session,
        user_ids=await _users(session, role=Role.PLATFORM_ADMIN),
        kind="complaint_answered",
        title=f"投诉 {complaint.tracking_number} 机构已答复 / answered",
        body="请审查并作出处理结论 / please review and decide",
        data={"complaint_id": complaint.id},
    )
    await _event(session, complaint, f"机构已答复，平台审查中 / answered{late}, under review", now)
    await _audit(session, user, complaint, "respond", before)
    return complaint


async def decide(
    session: AsyncSession,
    complaint: Complaint,
    user: AppUser,
    outcome: Outcome,
    reason: str,
    now: datetime,
) -> Complaint:
    if not is_platform_admin(user):
        raise Forbidden("Only the platform decides complaints")
    if complaint.status == ComplaintStatus.CLOSED:
        raise Conflict("The complaint is already decided")
    if complaint.status == ComplaintStatus.AWAITING_RESPONSE and now <= complaint.response_due:
        raise Conflict(
            "The institution may still answer until "
            f"{complaint.response_due.isoformat()}: decide after its answer or the deadline"
        )
    before = snapshot(complaint)
    complaint.status = ComplaintStatus.CLOSED
    complaint.outcome = outcome
    complaint.decision = reason
    complaint.decided_at = now
    complaint.decided_by = user.id
    session.add(complaint)
    labels = {
        Outcome.UPHELD: "投诉成立 / upheld",
        Outcome.PARTLY_UPHELD: "部分成立 / partly upheld",
        Outcome.NOT_UPHELD: "投诉不成立 / not upheld",
    }
    await _event(session, complaint, f"已办结：{labels[outcome]}", now)
    managers = await _users(
        session, role=Role.LAB_MANAGER, organisation_id=complaint.organisation_id
    )
    await notify(
        session,
        user_ids=[*managers, *([complaint.filed_by] if complaint.filed_by else [])],
        kind="complaint_decided",
        title=f"投诉 {complaint.tracking_number} 已办结 / decided: {labels[outcome]}",
        body=reason,
        data={"complaint_id": complaint.id, "outcome": outcome.value},
    )
    await _audit(session, user, complaint, "decide", before)
    return complaint


_IDENTITY = ("contact_name", "contact_phone", "contact_email", "filed_by", "filer_key")


def _private(data: dict[str, Any] | None) -> dict[str, Any] | None:
    # The audit trail is readable by the institution's managers: no complainant identity in it.
    return None if data is None else {k: v for k, v in data.items() if k not in _IDENTITY}


async def _events(session: AsyncSession, complaint_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint_id)
        .order_by(col(ComplaintEvent.occurred_at), col(ComplaintEvent.id))
    )
    return [
        {"occurred_at": e.occurred_at.isoformat(), "status": e.status, "note": e.note}
        for e in rows.all()
    ]


def answer_overdue(complaint: Complaint, now: datetime) -> bool:
    """Still unanswered after the deadline: the platform may now decide without the answer."""
    return complaint.status == ComplaintStatus.AWAITING_RESPONSE and now > complaint.response_due


async def tracking_view(
    session: AsyncSession, tracking_number: str, now: datetime
) -> dict[str, Any]:
    """What anyone holding the tracking number sees: status and timeline, nothing identifying."""
    rows = await session.exec(
        select(Complaint).where(Complaint.tracking_number == tracking_number.strip().upper())
    )
    complaint = rows.first()
    if complaint is None:
        raise NotFound("No complaint has this tracking number")
    return {
        "tracking_number": complaint.tracking_number,
        "status": complaint.status,
        "filed_at": complaint.created_at.isoformat(),
        "response_due": complaint.response_due.isoformat(),
        "answer_overdue": answer_overdue(complaint, now),
        "outcome": complaint.outcome,
        "decision": complaint.decision,
        "timeline": await _events(session, complaint.id),
    }


async def complaint_view(
    session: AsyncSession, complaint: Complaint, user: AppUser
) -> dict[str, Any]:
    attachments = (
        await session.exec(
            select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == complaint.id)
        )
    ).all()
    view: dict[str, Any] = {
        "id": str(complaint.id),
        "tracking_number": complaint.tracking_number,
        "organisation_id": str(complaint.organisation_id),
        "subject_kind": complaint.subject_kind,
        "report_number": complaint.report_number,
        "booking_id": str(complaint.booking_id) if complaint.booking_id else None,
        "summary": complaint.summary,
        "details": complaint.details,
        "anonymous": complaint.anonymous,
        "status": complaint.status,
        "filed_at": complaint.created_at.isoformat(),
        "response_due": complaint.response_due.isoformat(),
        "response": complaint.response,
        "responded_at": complaint.responded_at.isoformat() if complaint.responded_at else None,
        "outcome": complaint.outcome,
        "decision": complaint.decision,
        "decided_at": complaint.decided_at.isoformat() if complaint.decided_at else None,
        "attachments": [
            {
                "id": str(a.id),
                "filename": a.filename,
                "content_type": a.content_type,
                "size_bytes": a.size_bytes,
            }
            for a in attachments
        ],
        "timeline": await _events(session, complaint.id),
        "complainant": None,
    }
    if is_platform_admin(user):
        view["complainant"] = {
            "name": complaint.contact_name,
            "phone": complaint.contact_phone,
            "email": complaint.contact_email,
            "user_id": str(complaint.filed_by) if complaint.filed_by else None,
        }
    return view


async def attachment(
    session: AsyncSession, complaint: Complaint, attachment_id: uuid.UUID
) -> ComplaintAttachment:
    found = await session.get(ComplaintAttachment, attachment_id)
    if found is None or found.complaint_id != complaint.id:
        raise NotFound("No such attachment")
    return found
