"""Whom a lab manager may pick when authorising an operator on an instrument.

The picker searches, by name or e-mail, the active users of the organisations that have to do
with the instrument's institution: the institution itself, organisations that booked or
queued for any of its instruments, and users it already authorised. Anyone else is found only
by their exact e-mail address (someone who gave it to the lab to be trained), so a lab manager
cannot browse the platform's user list.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, Organisation
from server.booking.models import Booking, WaitlistEntry
from server.booking.schemas import OperatorCandidate
from server.catalog.models import Instrument
from server.registry.authorisations import is_authorised
from server.registry.models import OperatorAuthorisation
from server.registry.records import instrument_for_manager

__all__ = ["MAX_CANDIDATES", "operator_candidates"]

MAX_CANDIDATES = 20


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def operator_candidates(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, q: str, now: datetime
) -> list[OperatorCandidate]:
    """Users matching ``q`` (name or e-mail, case-insensitive), at most ``MAX_CANDIDATES``."""
    instrument = await instrument_for_manager(session, user, instrument_id)
    term = q.strip().lower()
    if not term:
        return []
    institution = instrument.organisation_id
    owned = select(Instrument.id).where(Instrument.organisation_id == institution)
    booked = select(Booking.organisation_id).where(col(Booking.instrument_id).in_(owned))
    queued = select(WaitlistEntry.organisation_id).where(
        col(WaitlistEntry.instrument_id).in_(owned)
    )
    authorised = select(OperatorAuthorisation.user_id).where(
        OperatorAuthorisation.organisation_id == institution
    )
    related = or_(
        col(AppUser.organisation_id) == institution,
        col(AppUser.organisation_id).in_(booked),
        col(AppUser.organisation_id).in_(queued),
        col(AppUser.id).in_(authorised),
    )
    matches = or_(
        func.lower(AppUser.full_name).like(_like(term), escape="\\"),
        col(AppUser.email).like(_like(term), escape="\\"),
    )
    rows = (
        await session.exec(
            select(AppUser, Organisation)
            .join(Organisation, col(Organisation.id) == col(AppUser.organisation_id))
            .where(
                col(AppUser.is_active),
                or_(related & matches, col(AppUser.email) == term),
            )
            .order_by(col(AppUser.full_name), col(AppUser.email))
            .limit(MAX_CANDIDATES)
        )
    ).all()
    return [
        OperatorCandidate(
            user_id=person.id,
            full_name=person.full_name,
            email=person.email,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            organisation_name_en=organisation.name_en,
            authorised=await is_authorised(session, person.id, instrument.id, now),
        )
        for person, organisation in rows
    ]
