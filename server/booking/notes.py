"""Booking notes: the sample information thread of a booking.

The booker (and, for enterprises, their organisation) gives sample information as text and
files (a sample list, photos, a safety data sheet); the lab staff and managers of the
instrument's institution reply in the same thread. Whoever may see the booking
(:func:`server.booking.access.may_see_booking`) reads and writes its notes; anybody else gets
the booking's 404. Files are stored like instrument attachments, with their size limit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.booking.access import get_booking
from server.booking.errors import NOTE_EMPTY_CODE, NOTE_FILE_EMPTY_CODE, NOTE_FILE_TOO_LARGE_CODE
from server.booking.models import Booking, BookingNote
from server.catalog.models import Instrument
from server.core.errors import NotFound, ValidationFailed
from server.registry.service import check_attachment_content

__all__ = [
    "NoteAttachment",
    "NoteAuthorSide",
    "NoteFile",
    "NoteView",
    "add_note",
    "get_note_file",
    "list_notes",
]


class NoteAuthorSide(StrEnum):
    """Who wrote a note, as its readers see it."""

    BOOKER = "booker"  # the booking organisation
    LAB = "lab"  # the instrument's institution
    PLATFORM = "platform"  # the platform operator


@dataclass(frozen=True, slots=True)
class NoteFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class NoteAttachment:
    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class NoteView:
    id: uuid.UUID
    booking_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    author_side: NoteAuthorSide
    body: str
    attachment: NoteAttachment | None
    created_at: datetime


def _side(author: AppUser, booking: Booking, instrument: Instrument) -> NoteAuthorSide:
    if author.organisation_id == instrument.organisation_id:
        return NoteAuthorSide.LAB
    if author.organisation_id == booking.organisation_id:
        return NoteAuthorSide.BOOKER
    return NoteAuthorSide.PLATFORM


def _view(note: BookingNote, author: AppUser, booking: Booking, instrument: Instrument) -> NoteView:
    attachment = (
        NoteAttachment(
            filename=note.attachment_filename,
            content_type=note.attachment_content_type or "application/octet-stream",
            size_bytes=note.attachment_size_bytes or 0,
        )
        if note.attachment_filename is not None
        else None
    )
    return NoteView(
        id=note.id,
        booking_id=note.booking_id,
        author_id=note.author_id,
        author_name=author.full_name,
        author_side=_side(author, booking, instrument),
        body=note.body,
        attachment=attachment,
        created_at=note.created_at,
    )


async def list_notes(session: AsyncSession, user: AppUser, booking_id: uuid.UUID) -> list[NoteView]:
    """The booking's notes, oldest first (the files' bytes are not read)."""
    booking, instrument = await get_booking(session, user, booking_id)
    rows = await session.exec(
        select(BookingNote, AppUser)
        .join(AppUser, col(AppUser.id) == col(BookingNote.author_id))
        .where(BookingNote.booking_id == booking.id)
        .options(defer(BookingNote.attachment_content))  # type: ignore[arg-type]
        .order_by(col(BookingNote.created_at), col(BookingNote.id))
    )
    return [_view(note, author, booking, instrument) for note, author in rows.all()]


async def add_note(
    session: AsyncSession,
    user: AppUser,
    booking_id: uuid.UUID,
    *,
    body: str,
    file: NoteFile | None,
) -> NoteView:
    booking, instrument = await get_booking(session, user, booking_id)
    text = body.strip()
    if not text and file is None:
        raise ValidationFailed.for_field(
            "body", "write some text or attach a file", code=NOTE_EMPTY_CODE
        )
    if file is not None:
        check_attachment_content(
            file.content, empty_code=NOTE_FILE_EMPTY_CODE, too_large_code=NOTE_FILE_TOO_LARGE_CODE
        )
    note = BookingNote(
        booking_id=booking.id,
        author_id=user.id,
        body=text,
        attachment_filename=file.filename if file else None,
        attachment_content_type=file.content_type if file else None,
        attachment_size_bytes=len(file.content) if file else None,
        attachment_content=file.content if file else None,
    )
    session.add(note)
    await session.flush()
    return _view(note, user, booking, instrument)


async def get_note_file(
    session: AsyncSession, user: AppUser, booking_id: uuid.UUID, note_id: uuid.UUID
) -> NoteFile:
    booking, _ = await get_booking(session, user, booking_id)
    note = await session.get(BookingNote, note_id)
    if (
        note is None
        or note.booking_id != booking.id
        or note.attachment_content is None
        or note.attachment_filename is None
    ):
        raise NotFound(f"Note {note_id} has no file on booking {booking_id}")
    return NoteFile(
        filename=note.attachment_filename,
        content_type=note.attachment_content_type or "application/octet-stream",
        content=note.attachment_content,
    )
