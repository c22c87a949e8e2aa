"""Queries on organisations and users."""

from __future__ import annotations

import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser, Organisation

__all__ = ["OrganisationRepository", "UserRepository"]


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organisation_id: uuid.UUID) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def get_by_name(self, name: str) -> Organisation | None:
        result = await self.session.exec(select(Organisation).where(Organisation.name == name))
        return result.first()

    async def add(self, organisation: Organisation) -> Organisation:
        self.session.add(organisation)
        await self.session.flush()
        return organisation


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> AppUser | None:
        return await self.session.get(AppUser, user_id)

    async def get_by_email(self, email: str) -> AppUser | None:
        result = await self.session.exec(select(AppUser).where(AppUser.email == email.lower()))
        return result.first()

    async def add(self, user: AppUser) -> AppUser:
        self.session.add(user)
        await self.session.flush()
        return user
