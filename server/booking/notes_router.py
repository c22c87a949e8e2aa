"""``/api/v1/bookings/{id}/notes``: the sample information thread of a booking (text and files
from the booker's organisation, replies from the lab staff)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from pydantic import BaseModel, Field

from server.auth.dependencies import CurrentUser
from server.booking import notes
from server.core.db import SessionDep
from server.core.errors import content_responses, problem_responses
from server.core.validators import Text
from server.registry.service import ATTACHMENT_MAX_BYTES, attachment_disposition

__all__ = ["router"]

router = APIRouter(tags=["booking"])

NOTE_MAX_CHARS = 4000


class NoteAttachmentOut(BaseModel):
    filename: str
    content_type: str
    size_bytes: int


class BookingNoteOut(BaseModel):
    id: uuid.UUID
    booking_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    author_side: notes.NoteAuthorSide = Field(
        description="booker: the booking organisation; lab: the instrument's institution; "
        "platform: the platform operator"
    )
    body: str
    attachment: NoteAttachmentOut | None
    created_at: datetime

    @classmethod
    def of(cls, view: notes.NoteView) -> BookingNoteOut:
        return cls.model_validate(view, from_attributes=True)


@router.get("/bookings/{booking_id}/notes", responses=problem_responses(404))
async def list_booking_notes(
    session: SessionDep, user: CurrentUser, booking_id: uuid.UUID
) -> list[BookingNoteOut]:
    """The booking's sample information thread, oldest first, for anyone who may see it."""
    return [BookingNoteOut.of(v) for v in await notes.list_notes(session, user, booking_id)]


@router.post(
    "/bookings/{booking_id}/notes",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404),
)
async def add_booking_note(
    session: SessionDep,
    user: CurrentUser,
    booking_id: uuid.UUID,
    body: Annotated[Text, Form(max_length=NOTE_MAX_CHARS)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> BookingNoteOut:
    """Add text, one file (up to 20 MiB), or both; neither is a 422 ``booking_note_empty``,
    a larger file a 422 ``booking_note_file_too_large``."""
    note_file = None
    if file is not None:
        note_file = notes.NoteFile(
            # PostgreSQL text cannot hold NUL: a crafted multipart header must not reach it.
            filename=(file.filename or "").replace("\x00", "") or "attachment",
            content_type=(file.content_type or "").replace("\x00", "")
            or "application/octet-stream",
            content=await file.read(ATTACHMENT_MAX_BYTES + 1),
        )
    view = await notes.add_note(session, user, booking_id, body=body, file=note_file)
    return BookingNoteOut.of(view)


@router.get(
    "/bookings/{booking_id}/notes/{note_id}/attachment",
    response_class=Response,
    responses={**content_responses("*/*"), **problem_responses(404)},
)
async def booking_note_attachment(
    session: SessionDep, user: CurrentUser, booking_id: uuid.UUID, note_id: uuid.UUID
) -> Response:
    """The note's file, as uploaded."""
    found = await notes.get_note_file(session, user, booking_id, note_id)
    return Response(
        found.content,
        media_type=found.content_type,
        headers={"Content-Disposition": attachment_disposition(found.filename)},
    )
