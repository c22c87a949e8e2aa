"""What the registry and the calibration programme do alike with an instrument's records.

- the request/response bases of their schemas;
- the tenancy-checked read (:func:`get_or_not_found`) and the per-instrument listing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import INSTITUTION_ROLES, AppUser, Role
from server.auth.tenancy import is_platform_admin, may_manage_organisation, role_of
from server.catalog.models import Instrument
from server.catalog.service import get_instrument_for_staff
from server.core.errors import Forbidden, NotFound
from server.core.validators import check_text
from server.registry.columns import InstrumentRecordBase

__all__ = [
    "InputModel",
    "PublicModel",
    "Text",
    "get_or_not_found",
    "instrument_for_manager",
    "instrument_for_writer",
    "instrument_rows",
]

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(check_text),
]


Owned = TypeVar("Owned", bound=InstrumentRecordBase)


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


async def get_or_not_found(
    session: AsyncSession,
    model: type[Owned],
    record_id: uuid.UUID,
    label: str,
    instrument_check: Callable[[uuid.UUID], Awaitable[object]],
) -> Owned:
    """The record when it exists and the tenancy check of its instrument (which raises)
    lets the user through."""
    record = await session.get(model, record_id)
    if record is None:
        raise NotFound(f"{label} {record_id} not found")
    await instrument_check(record.instrument_id)
    return record


async def instrument_rows(
    session: AsyncSession, model: type[Owned], instrument_id: uuid.UUID, order_by: Any
) -> list[Owned]:
    """All records of one kind for an instrument, in the given order."""
    query = select(model).where(model.instrument_id == instrument_id).order_by(order_by)
    return list((await session.exec(query)).all())


async def instrument_for_manager(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID
) -> Instrument:
    """The instrument, when the user manages its institution; 403 for other roles, else 404."""
    if role_of(user) not in (Role.LAB_MANAGER, Role.PLATFORM_ADMIN):
        raise Forbidden(f"A {role_of(user).value} may not change the calibration programme")
    instrument = await get_instrument_for_staff(session, user, instrument_id)
    if not may_manage_organisation(user, instrument.organisation_id):
        raise NotFound(f"Instrument {instrument_id} not found")
    return instrument


async def instrument_for_writer(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID
) -> Instrument:
    """Lab staff record checks and events on their own institution's instruments too."""
    if not (is_platform_admin(user) or role_of(user) in INSTITUTION_ROLES):
        raise Forbidden(f"A {role_of(user).value} may not record equipment findings")
    return await get_instrument_for_staff(session, user, instrument_id)
