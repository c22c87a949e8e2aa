"""Queries on the gateway registry."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.gateways.models import Gateway

__all__ = ["GatewayRepository"]


class GatewayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, gateway_id: uuid.UUID) -> Gateway | None:
        return await self.session.get(Gateway, gateway_id)

    async def get_by_key(self, key: str) -> Gateway | None:
        return (await self.session.exec(select(Gateway).where(Gateway.key == key))).first()

    async def all(self, *, organisation_id: uuid.UUID | None = None) -> Sequence[Gateway]:
        query = select(Gateway).order_by(col(Gateway.key))
        if organisation_id is not None:
            query = query.where(Gateway.organisation_id == organisation_id)
        return (await self.session.exec(query)).all()

    async def add(self, gateway: Gateway) -> Gateway:
        self.session.add(gateway)
        await self.session.flush()
        return gateway
