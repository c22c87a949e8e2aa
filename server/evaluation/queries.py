"""The evaluation API's own reads: the statements behind ``server.evaluation.router``."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["instrument_owner"]


async def instrument_owner(conn: AsyncConnection, instrument_id: uuid.UUID) -> uuid.UUID | None:
    """The organisation of an instrument; None for no such instrument."""
    owner: uuid.UUID | None = (
        await conn.exec_driver_sql(
            "SELECT organisation_id FROM instrument WHERE id = %(id)s", {"id": instrument_id}
        )
    ).scalar()
    return owner
