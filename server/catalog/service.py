"""Catalogue rules: who sees which instrument, who may change it, what a channel must be."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import text
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
    ChannelUpdate,
    InstrumentCreate,
    InstrumentUpdate,
    LabCreate,
)
from server.catalog.units import is_known_unit
from server.core.errors import Conflict, NotFound, ValidationFailed
from server.gateways.repository import GatewayRepository

__all__ = [
    "CHANNEL_HAS_READINGS",
    "CHANNEL_UNIT_HAS_READINGS",
    "add_channel",
    "create_instrument",
    "create_lab",
    "delete_channel",
    "get_instrument_for_staff",
    "get_visible_instrument",
    "list_instruments",
    "list_labs",
    "update_channel",
    "update_instrument",
]

CHANNEL_HAS_READINGS = "channel_has_readings"
"""Problem code: a channel with stored readings is kept (deleting it would orphan them)."""
CHANNEL_UNIT_HAS_READINGS = "channel_unit_has_readings"
"""Problem code: readings are stored in the channel's unit, so it no longer changes."""

# Readings of a channel, wherever telemetry keeps them: the raw hypertable, the one-minute
# rollup (which outlives raw retention) and rollup ranges still waiting for the job. Read in
# plain SQL: telemetry is a higher layer (docs/architecture.md). None of them has a foreign
# key to ``channel``, so only this check keeps a deleted channel from orphaning readings.
_HAS_READINGS_SQL = text(
    "SELECT EXISTS (SELECT 1 FROM telemetry WHERE channel_id = :id)"
    " OR EXISTS (SELECT 1 FROM telemetry_rollup_1m WHERE channel_id = :id)"
    " OR EXISTS (SELECT 1 FROM telemetry_rollup_pending WHERE channel_id = :id)"
)

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
        return await add_audited(
            session,
            user,
            Channel(instrument_id=instrument.id, **data.model_dump()),
            entity="channel",
            organisation_id=instrument.organisation_id,
        )
    except IntegrityError as exc:  # a concurrent request won the race
        raise Conflict(duplicate) from exc


def _channel_not_found(channel_id: int) -> NotFound:
    return NotFound(f"Channel {channel_id} not found")


async def _channel_for_manager(
    session: AsyncSession, user: AppUser, channel_id: int
) -> tuple[Channel, Instrument]:
    """A channel of an instrument the manager's institution owns (any for platform admins),
    locked for the change; another institution's is reported as missing."""
    require_catalogue_manager(user)
    channel = await ChannelRepository(session).get_for_update(channel_id)
    if channel is None:
        raise _channel_not_found(channel_id)
    instrument = await InstrumentRepository(session).get(channel.instrument_id)
    if instrument is None or not may_manage_organisation(user, instrument.organisation_id):
        raise _channel_not_found(channel_id)
    return channel, instrument


async def has_readings(session: AsyncSession, channel_id: int) -> bool:
    connection = await session.connection()
    return bool((await connection.execute(_HAS_READINGS_SQL, {"id": channel_id})).scalar())


async def update_channel(
    session: AsyncSession, user: AppUser, channel_id: int, data: ChannelUpdate
) -> Channel:
    """Rename a channel, move it to another instrument of the same institution (its readings
    go with it), or correct its unit while it has no readings."""
    channel, instrument = await _channel_for_manager(session, user, channel_id)
    changes = data.model_dump(exclude_unset=True)
    target = instrument
    if "instrument_id" in changes and changes["instrument_id"] != instrument.id:
        found = await InstrumentRepository(session).get(changes["instrument_id"])
        if found is None or not may_see_organisation(user, found.organisation_id):
            raise _instrument_not_found(changes["instrument_id"])
        if found.organisation_id != instrument.organisation_id:
            raise ValidationFailed.for_field(
                "instrument_id",
                "the channel's gateway belongs to another institution; "
                "pick an instrument of the same institution",
            )
        target = found
    if "canonical_unit" in changes and changes["canonical_unit"] != channel.canonical_unit:
        if not is_known_unit(changes["canonical_unit"]):
            raise ValidationFailed.for_field(
                "canonical_unit", f"{changes['canonical_unit']!r} is not a unit pint understands"
            )
        assert channel.id is not None
        if await has_readings(session, channel.id):
            raise Conflict(
                f"Channel {channel.id} has readings stored in {channel.canonical_unit}; "
                "its unit can no longer change",
                extensions={"code": CHANNEL_UNIT_HAS_READINGS, "unit": channel.canonical_unit},
            )
    before = snapshot(channel)
    for field, value in changes.items():
        setattr(channel, field, value)
    session.add(channel)
    await session.flush()
    after = snapshot(channel)
    if after != before:
        assert channel.id is not None
        await audit(
            session,
            actor=user,
            entity="channel",
            entity_id=str(channel.id),
            action="update",
            organisation_id=target.organisation_id,
            before=before,
            after=after,
        )
    return channel


async def delete_channel(session: AsyncSession, user: AppUser, channel_id: int) -> None:
    """Delete a channel that never stored a reading; one with readings is kept (409)."""
    channel, instrument = await _channel_for_manager(session, user, channel_id)
    assert channel.id is not None
    if await has_readings(session, channel.id):
        raise Conflict(
            f"Channel {channel.id} has stored readings; it is kept so they stay readable",
            extensions={"code": CHANNEL_HAS_READINGS},
        )
    before = snapshot(channel)
    await ChannelRepository(session).delete(channel)
    await audit(
        session,
        actor=user,
        entity="channel",
        entity_id=str(channel_id),
        action="delete",
        organisation_id=instrument.organisation_id,
        before=before,
    )
