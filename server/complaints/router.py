"""``/api/v1/complaints``: filing (no login needed), tracking, answering and deciding."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status
from pydantic import BaseModel, Field
from sqlmodel import col, select

from server.auth.dependencies import CurrentUser, SettingsDep
from server.auth.models import AppUser, Organisation, OrganisationKind
from server.auth.repository import UserRepository
from server.complaints import service
from server.complaints.models import Complaint, Outcome, SubjectKind
from server.core.clock import Clock
from server.core.db import SessionDep
from server.core.errors import ValidationFailed, problem_responses
from server.core.security import InvalidToken, decode_access_token

__all__ = ["ComplaintForm", "OptionalUser", "router"]

router = APIRouter(prefix="/complaints", tags=["complaints"])


async def _optional_user(
    request: Request, session: SessionDep, settings: SettingsDep
) -> AppUser | None:
    """The logged-in user if a valid token came with the request; anyone may file without one.

    Read from the header directly rather than through the OAuth2 scheme, so the operation is
    not documented as requiring a log-in.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        user_id = decode_access_token(token, settings.secret_key.get_secret_value())
    except InvalidToken:
        return None
    user = await UserRepository(session).get(user_id)
    return user if user is not None and user.is_active else None


OptionalUser = Annotated[AppUser | None, Depends(_optional_user)]


async def _read_uploads(files: list[UploadFile]) -> list[service.Upload]:
    uploads = []
    for f in files:
        if not f.filename:
            continue  # an empty file input of an HTML form
        # Read one byte past the limit: enough to refuse, never the whole of a huge upload.
        content = await f.read(service.MAX_ATTACHMENT_BYTES + 1)
        uploads.append(service.Upload(f.filename, content))
    return uploads


def _filing(
    organisation_id: uuid.UUID,
    subject_kind: str,
    summary: str,
    details: str,
    anonymous: bool,
    report_number: str | None,
    booking_id: uuid.UUID | None,
    contact_name: str | None,
    contact_phone: str | None,
    contact_email: str | None,
) -> service.Filing:
    try:
        kind = SubjectKind(subject_kind)
    except ValueError as exc:
        raise ValidationFailed.for_field(
            "subject_kind", "one of institution, report, booking"
        ) from exc
    summary, details = summary.strip(), details.strip()
    if not summary or len(summary) > 200:
        raise ValidationFailed.for_field("summary", "1 to 200 characters")
    if not details or len(details) > 5000:
        raise ValidationFailed.for_field("details", "1 to 5000 characters")
    return service.Filing(
        organisation_id=organisation_id,
        subject_kind=kind,
        summary=summary,
        details=details,
        anonymous=anonymous,
        report_number=(report_number or "").strip()[:100] or None,
        booking_id=booking_id,
        contact_name=(contact_name or "").strip()[:100] or None,
        contact_phone=(contact_phone or "").strip()[:40] or None,
        contact_email=(contact_email or "").strip()[:200] or None,
    )


class ComplaintForm:
    """A complaint as a form posts it, here and on the public pages' HTML form; ``anonymous``
    and ``booking_id`` are left to each form, whose defaults and checks differ."""

    def __init__(
        self,
        request: Request,
        session: SessionDep,
        user: OptionalUser,
        now: Clock,
        organisation_id: Annotated[uuid.UUID, Form()],
        subject_kind: Annotated[str, Form()],
        summary: Annotated[str, Form()],
        details: Annotated[str, Form()],
        report_number: Annotated[str | None, Form()] = None,
        contact_name: Annotated[str | None, Form()] = None,
        contact_phone: Annotated[str | None, Form()] = None,
        contact_email: Annotated[str | None, Form()] = None,
        attachments: Annotated[list[UploadFile] | None, File()] = None,
    ) -> None:
        self.address = request.client.host if request.client else None
        self.session, self.user, self.now = session, user, now
        self.organisation_id, self.subject_kind = organisation_id, subject_kind
        self.summary, self.details, self.report_number = summary, details, report_number
        self.contact = (contact_name, contact_phone, contact_email)
        self.attachments = attachments or []

    async def file(self, *, anonymous: bool, booking_id: uuid.UUID | None) -> Complaint:
        """Checks the fields and files the complaint (``AppError`` when refused)."""
        filing = _filing(
            self.organisation_id,
            self.subject_kind,
            self.summary,
            self.details,
            anonymous,
            self.report_number,
            booking_id,
            *self.contact,
        )
        uploads = await _read_uploads(self.attachments)
        return await service.file_complaint(
            self.session, filing, uploads, user=self.user, address=self.address, now=self.now
        )


class Filed(BaseModel):
    tracking_number: str
    status: str
    response_due: str


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Filed,
    responses=problem_responses(422, 429),
)
async def file_complaint(
    form: Annotated[ComplaintForm, Depends()],
    anonymous: Annotated[bool, Form()] = True,
    booking_id: Annotated[uuid.UUID | None, Form()] = None,
) -> Filed:
    """File a complaint, with or without logging in; keep the tracking number to follow it."""
    complaint = await form.file(anonymous=anonymous, booking_id=booking_id)
    return Filed(
        tracking_number=complaint.tracking_number,
        status=complaint.status,
        response_due=complaint.response_due.isoformat(),
    )


class Institution(BaseModel):
    id: uuid.UUID
    name: str
    name_en: str | None
    city: str | None


@router.get("/institutions", response_model=list[Institution])
async def institutions(session: SessionDep) -> list[Institution]:
    """The institutions a complaint may name (no login)."""
    rows = await session.exec(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.INSTITUTION.value)
        .order_by(col(Organisation.name))
    )
    return [Institution(id=o.id, name=o.name, name_en=o.name_en, city=o.city) for o in rows.all()]


@router.get("/track/{tracking_number}", responses=problem_responses(404))
async def track(tracking_number: str, session: SessionDep, now: Clock) -> dict[str, Any]:
    """Status and timeline by tracking number; no login, no identity."""
    return await service.tracking_view(session, tracking_number, now)


@router.get("")
async def list_complaints(session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The platform: all; an institution: those about it; anyone: those they filed."""
    return [
        await service.complaint_view(session, c, user)
        for c in await service.visible_complaints(session, user)
    ]


@router.get("/{complaint_id}", responses=problem_responses(404))
async def get_complaint(
    complaint_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    complaint = await service.get_complaint(session, complaint_id, user)
    return await service.complaint_view(session, complaint, user)


class Answer(BaseModel):
    response: str = Field(min_length=1, max_length=5000)


@router.post("/{complaint_id}/response", responses=problem_responses(403, 404, 409))
async def respond(
    complaint_id: uuid.UUID, body: Answer, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    complaint = await service.get_complaint(session, complaint_id, user)
    await service.respond(session, complaint, user, body.response, now)
    return await service.complaint_view(session, complaint, user)


class Decision(BaseModel):
    outcome: Outcome
    reason: str = Field(min_length=1, max_length=5000)


@router.post("/{complaint_id}/decision", responses=problem_responses(403, 404, 409))
async def decide(
    complaint_id: uuid.UUID, body: Decision, session: SessionDep, user: CurrentUser, now: Clock
) -> dict[str, Any]:
    complaint = await service.get_complaint(session, complaint_id, user)
    await service.decide(session, complaint, user, body.outcome, body.reason, now)
    return await service.complaint_view(session, complaint, user)


@router.get(
    "/{complaint_id}/attachments/{attachment_id}",
    response_class=Response,
    responses=problem_responses(404),
)
async def get_attachment(
    complaint_id: uuid.UUID, attachment_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> Response:
    complaint = await service.get_complaint(session, complaint_id, user)
    found = await service.attachment(session, complaint, attachment_id)
    return Response(
        found.content,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
