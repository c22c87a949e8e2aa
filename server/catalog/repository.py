"""Queries on labs, instruments and channels."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog.models import Channel, Instrument, Lab

__all__ = ["ChannelRepository", "InstrumentRepository", "LabRepository"]


class LabRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, lab_id: uuid.UUID) -> Lab | None:
        return await self.session.get(Lab, lab_id)

    async def all(
        self, *, organisation_id: uuid.UUID | None = None, with_open_instruments: bool = False
    ) -> Sequence[Lab]:
        query = select(Lab).order_by(col(Lab.name))
        if organisation_id is not None:
            query = query.where(Lab.organisation_id == organisation_id)
        if with_open_instruments:
            query = query.where(
                exists().where(col(Instrument.lab_id) == col(Lab.id), col(Instrument.is_open))
            )
        return (await self.session.exec(query)).all()

    async def find(self, organisation_id: uuid.UUID, name: str) -> Lab | None:
        query = select(Lab).where(Lab.organisation_id == organisation_id, Lab.name == name)
        return (await self.session.exec(query)).first()

    async def add(self, lab: Lab) -> Lab:
        self.session.add(lab)
        await self.session.flush()
        return lab


class InstrumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, instrument_id: uuid.UUID) -> Instrument | None:
        return await self.session.get(Instrument, instrument_id)

    async def all(
        self, *, organisation_id: uuid.UUID | None = None, only_open: bool = False
    ) -> Sequence[Instrument]:
        query = select(Instrument).order_by(col(Instrument.name), col(Instrument.id))
        if organisation_id is not None:
            query = query.where(Instrument.organisation_id == organisation_id)
        if only_open:
            query = query.where(col(Instrument.is_open))
        return (await self.session.exec(query)).all()

    async def find(self, lab_id: uuid.UUID, name: str) -> Instrument | None:
        query = select(Instrument).where(Instrument.lab_id == lab_id, Instrument.name == name)
        return (await self.session.exec(query)).first()

    async def add(self, instrument: Instrument) -> Instrument:
        self.session.add(instrument)
        await self.session.flush()
        return instrument


class ChannelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_instrument(self, instrument_id: uuid.UUID) -> Sequence[Channel]:
        query = (
            select(Channel).where(Channel.instrument_id == instrument_id).order_by(col(Channel.id))
        )
        return (await self.session.exec(query)).all()

    async def get_for_update(self, channel_id: int) -> Channel | None:
        """The channel, row-locked until the transaction ends (two corrections queue)."""
        query = select(Channel).where(Channel.id == channel_id).with_for_update()
        return (await self.session.exec(query)).first()

    async def delete(self, channel: Channel) -> None:
        await self.session.delete(channel)
        await self.session.flush()

    async def find(self, gateway_id: uuid.UUID, device_key: str, point_key: str) -> Channel | None:
        query = select(Channel).where(
            Channel.gateway_id == gateway_id,
            Channel.device_key == device_key,
            Channel.point_key == point_key,
        )
        return (await self.session.exec(query)).first()
