"""``/api/v1/labs`` and ``/api/v1/instruments``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from server.auth.dependencies import CurrentUser
from server.catalog import service
from server.catalog.models import Instrument
from server.catalog.schemas import (
    ChannelChanged,
    ChannelCreate,
    ChannelPublic,
    ChannelUpdate,
    InstrumentCreate,
    InstrumentDetail,
    InstrumentPublic,
    InstrumentUpdate,
    LabCreate,
    LabPublic,
)
from server.catalog.visibility import redact_instrument
from server.core.db import SessionDep
from server.core.errors import problem_responses

__all__ = ["router"]

router = APIRouter(tags=["catalog"])

ChannelId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _detail(
    session: SessionDep, user: CurrentUser, instrument: Instrument
) -> InstrumentDetail:
    """The fields ``user`` may see; the others stay unset and are left out of the response."""
    fields = {
        **InstrumentPublic.model_validate(instrument).model_dump(),
        "serial_number": instrument.serial_number,
    }
    fields = redact_instrument(fields, user, instrument.organisation_id)
    if "serial_number" in fields:  # the owner's staff (and admins): channels too
        channels = await service.channels_of(session, instrument.id)
        fields["channels"] = [ChannelPublic.model_validate(c) for c in channels]
    return InstrumentDetail.model_validate(
        redact_instrument(fields, user, instrument.organisation_id)
    )


@router.get("/labs", response_model=list[LabPublic])
async def list_labs(session: SessionDep, user: CurrentUser) -> list[LabPublic]:
    return [LabPublic.model_validate(lab) for lab in await service.list_labs(session, user)]


@router.post("/labs", response_model=LabPublic, status_code=status.HTTP_201_CREATED)
async def create_lab(session: SessionDep, user: CurrentUser, body: LabCreate) -> LabPublic:
    return LabPublic.model_validate(await service.create_lab(session, user, body))


@router.get("/instruments", response_model=list[InstrumentPublic])
async def list_instruments(session: SessionDep, user: CurrentUser) -> list[InstrumentPublic]:
    """Instruments the user may see: own institution's, open ones for enterprises, all for admins."""
    instruments = await service.list_instruments(session, user)
    return [
        InstrumentPublic.model_validate(
            redact_instrument(
                InstrumentPublic.model_validate(i).model_dump(), user, i.organisation_id
            )
        )
        for i in instruments
    ]


@router.post(
    "/instruments",
    response_model=InstrumentDetail,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
)
async def create_instrument(
    session: SessionDep, user: CurrentUser, body: InstrumentCreate
) -> InstrumentDetail:
    return await _detail(session, user, await service.create_instrument(session, user, body))


@router.get(
    "/instruments/{instrument_id}",
    response_model=InstrumentDetail,
    response_model_exclude_unset=True,
)
async def get_instrument(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> InstrumentDetail:
    """Staff of the owning institution get the serial number and channels too; others the
    catalogue fields only."""
    instrument = await service.get_visible_instrument(session, user, instrument_id)
    return await _detail(session, user, instrument)


@router.patch(
    "/instruments/{instrument_id}",
    response_model=InstrumentDetail,
    response_model_exclude_unset=True,
)
async def update_instrument(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: InstrumentUpdate
) -> InstrumentDetail:
    instrument = await service.update_instrument(session, user, instrument_id, body)
    return await _detail(session, user, instrument)


@router.post(
    "/instruments/{instrument_id}/channels",
    response_model=ChannelPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_channel(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: ChannelCreate
) -> ChannelPublic:
    return ChannelPublic.model_validate(
        await service.add_channel(session, user, instrument_id, body)
    )


@router.patch(
    "/channels/{channel_id}", response_model=ChannelChanged, responses=problem_responses(409)
)
async def update_channel(
    session: SessionDep, user: CurrentUser, channel_id: ChannelId, body: ChannelUpdate
) -> ChannelChanged:
    """Correct a channel (lab manager of the owner, platform admin): its names, its instrument
    (another one of the same institution; the readings go with the channel) and, while it has
    no readings, its unit (409 ``channel_unit_has_readings`` afterwards). Audited."""
    return ChannelChanged.model_validate(
        await service.update_channel(session, user, channel_id, body)
    )


@router.delete(
    "/channels/{channel_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(409),
)
async def delete_channel(session: SessionDep, user: CurrentUser, channel_id: ChannelId) -> None:
    """Delete a channel that has no readings (lab manager of the owner, platform admin); one
    with readings is kept: 409 ``channel_has_readings``. Audited."""
    await service.delete_channel(session, user, channel_id)
