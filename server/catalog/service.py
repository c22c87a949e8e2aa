"""Catalogue rules: who sees which instrument, who may change it, what a channel must be."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import add_audited, audit, snapshot
from server.auth.models import AppUser
from server.auth.tenancy import (
    is_enterprise,
    is_platform_admin,
    managed_institution,
    may_manage_organisation,
    may_see_organisation,
    require_catalogue_manager,
)
from server.catalog.models import Channel, Instrument, Lab
from server.catalog.repository import ChannelRepository, InstrumentRepository, LabRepository
from server.catalog.schemas import (
    ChannelCreate,
    InstrumentCreate,
    InstrumentUpdate,
    LabCreate,
)
from server.catalog.units import is_known_unit
from server.core.errors import Conflict, NotFound, ValidationFailed
from server.gateways.repository import GatewayRepository

__all__ = [
    "add_channel",
    "create_instrument",
    "create_lab",
    "get_instrument_for_staff",
    "get_visible_instrument",
    "list_instruments",
    "list_labs",
    "update_instrument",
]

logger = logging.getLogger(__name__)


def _instrument_not_found(instrument_id: uuid.UUID) -> NotFound:
    return NotFound(f"Instrument {instrument_id} not found")


async def list_labs(session: AsyncSession, user: AppUser) -> Sequence[Lab]:
    labs = LabRepository(session)
    if is_platform_admin(user):
        return await labs.all()
    if is_enterprise(user):
        return await labs.all(with_open_instruments=True)
    return await labs.all(organisation_id=user.organisation_id)


async def create_lab(session: AsyncSession, user: AppUser, data: LabCreate) -> Lab:
    require_catalogue_manager(user)
    organisation_id = await managed_institution(
        session,
        user,
        data.organisation_id,
        not_yours="you may only add labs to your own institution",
        not_an_institution="labs belong to an institution",
    )
    return await LabRepository(session).add(
        Lab(organisation_id=organisation_id, name=data.name, name_en=data.name_en)
    )


async def list_instruments(session: AsyncSession, user: AppUser) -> Sequence[Instrument]:
    instruments = InstrumentRepository(session)
    if is_platform_admin(user):
        return await instruments.all()
    if is_enterprise(user):
        return await instruments.all(only_open=True)
    return await instruments.all(organisation_id=user.organisation_id)


async def get_visible_instrument(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID
) -> Instrument:
    """An instrument the user may at least see in the catalogue; 404 otherwise."""
    instrument = await InstrumentRepository(session).get(instrument_id)
    if instrument is None:
        raise _instrument_not_found(instrument_id)
    if may_see_organisation(user, instrument.organisation_id):
        return instrument
    if is_enterprise(user) and instrument.is_open:
        return instrument
    raise _instrument_not_found(instrument_id)


async def get_instrument_for_staff(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID
) -> Instrument:
    """An instrument of the user's own institution (any for platform admins); 404 otherwise."""
    instrument = await InstrumentRepository(session).get(instrument_id)
    if instrument is None or not may_see_organisation(user, instrument.organisation_id):
        raise _instrument_not_found(instrument_id)
    return instrument


async def channels_of(session: AsyncSession, instrument_id: uuid.UUID) -> Sequence[Channel]:
    return await ChannelRepository(session).for_instrument(instrument_id)


async def create_instrument(
    session: AsyncSession, user: AppUser, data: InstrumentCreate
) -> Instrument:
    require_catalogue_manager(user)
    lab = await LabRepository(session).get(data.lab_id)
    # Another institution's lab is reported like a missing one.
    if lab is None or not may_manage_organisation(user, lab.organisation_id):
        raise ValidationFailed.for_field("lab_id", "no such lab in your institution")
    instrument = Instrument(
        **data.model_dump(exclude={"lab_id"}),
        lab_id=lab.id,
        organisation_id=lab.organisation_id,
    )
    instrument = await InstrumentRepository(session).add(instrument)
    await add_audited(session, user, instrument, entity="instrument")
    return instrument


async def update_instrument(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, data: InstrumentUpdate
) -> Instrument:
    require_catalogue_manager(user)
    instrument = await get_instrument_for_staff(session, user, instrument_id)
    before = snapshot(instrument)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(instrument, field, value)
    session.add(instrument)
    await session.flush()
    after = snapshot(instrument)
    if after != before:
        await audit(
            session,
            actor=user,
            entity="instrument",
            entity_id=instrument.id,
            action="update",
            organisation_id=instrument.organisation_id,
            before=before,
            after=after,
        )
    return instrument


async def add_channel(
    session: AsyncSession, user: AppUser, instrument_id: uuid.UUID, data: ChannelCreate
) -> Channel:
    require_catalogue_manager(user)
    instrument = await get_instrument_for_staff(session, user, instrument_id)
    gateway = await GatewayRepository(session).get(data.gateway_id)
    if gateway is None or gateway.organisation_id != instrument.organisation_id:
        raise ValidationFailed.for_field(
            "gateway_id", "no such gateway in the instrument's institution"
        )
    if not is_known_unit(data.canonical_unit):
        raise ValidationFailed.for_field(
            "canonical_unit", f"{data.canonical_unit!r} is not a unit pint understands"
        )
    channels = ChannelRepository(session)
    duplicate = (
        f"Gateway {gateway.key} already maps {data.device_key}/{data.point_key} to a channel"
    )
    if await channels.find(gateway.id, data.device_key, data.point_key) is not None:
        raise Conflict(duplicate)
    try:
        return await channels.add(Channel(instrument_id=instrument.id, **data.model_dump()))
    except IntegrityError as exc:  # a concurrent request won the race
        raise Conflict(duplicate) from exc
