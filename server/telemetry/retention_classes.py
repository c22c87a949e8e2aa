"""Reads and writes of retention classes and of the class each channel belongs to.

The classes are platform-wide (the platform's storage budget); which class a channel is in
is its institution's choice. :mod:`server.telemetry.retention` applies them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.telemetry.retention import DEFAULT_CLASS, RetentionClass

__all__ = [
    "ChannelOwner",
    "ChannelRetention",
    "channel_owner",
    "channel_retention",
    "channels_in_class",
    "delete_class",
    "get_class",
    "list_classes",
    "put_class",
    "set_channel_class",
]


@dataclass(frozen=True, slots=True)
class ChannelOwner:
    channel_id: int
    organisation_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ChannelRetention:
    channel_id: int
    retention: RetentionClass
    explicit: bool  # False: no row, so the default class applies


async def list_classes(session: AsyncSession) -> list[tuple[RetentionClass, int]]:
    """Every class with the number of channels in it (channels without a row: the default)."""
    conn = await session.connection()
    rows = await conn.execute(
        text(
            "SELECT k.name, k.raw_days, k.rollup_days,"
            " (SELECT count(*) FROM channel c LEFT JOIN channel_retention r"
            "   ON r.channel_id = c.id WHERE COALESCE(r.class_name, :default) = k.name) AS n"
            " FROM telemetry_retention_class k ORDER BY k.raw_days, k.name"
        ),
        {"default": DEFAULT_CLASS},
    )
    return [(RetentionClass(r.name, r.raw_days, r.rollup_days), int(r.n)) for r in rows]


async def get_class(session: AsyncSession, name: str) -> RetentionClass | None:
    conn = await session.connection()
    row = (
        await conn.execute(
            text(
                "SELECT name, raw_days, rollup_days FROM telemetry_retention_class"
                " WHERE name = :name"
            ),
            {"name": name},
        )
    ).first()
    return None if row is None else RetentionClass(row.name, row.raw_days, row.rollup_days)


async def put_class(session: AsyncSession, retention: RetentionClass) -> bool:
    """Create or replace a class; returns whether it was created."""
    conn = await session.connection()
    created = (
        await conn.execute(
            text(
                "INSERT INTO telemetry_retention_class (name, raw_days, rollup_days)"
                " VALUES (:name, :raw, :rollup) ON CONFLICT (name) DO UPDATE SET"
                " raw_days = EXCLUDED.raw_days, rollup_days = EXCLUDED.rollup_days"
                " RETURNING (xmax = 0) AS created"
            ),
            {"name": retention.name, "raw": retention.raw_days, "rollup": retention.rollup_days},
        )
    ).scalar_one()
    return bool(created)


async def channels_in_class(session: AsyncSession, name: str) -> int:
    conn = await session.connection()
    count = (
        await conn.execute(
            text("SELECT count(*) FROM channel_retention WHERE class_name = :name"),
            {"name": name},
        )
    ).scalar_one()
    return int(count)


async def delete_class(session: AsyncSession, name: str) -> None:
    conn = await session.connection()
    await conn.execute(
        text("DELETE FROM telemetry_retention_class WHERE name = :name"), {"name": name}
    )


async def channel_owner(session: AsyncSession, channel_id: int) -> ChannelOwner | None:
    """The institution owning the channel's instrument, for tenancy checks."""
    conn = await session.connection()
    row = (
        await conn.execute(
            text(
                "SELECT c.id, i.organisation_id FROM channel c"
                " JOIN instrument i ON i.id = c.instrument_id WHERE c.id = :id"
            ),
            {"id": channel_id},
        )
    ).first()
    return None if row is None else ChannelOwner(row.id, row.organisation_id)


async def channel_retention(session: AsyncSession, channel_id: int) -> ChannelRetention:
    conn = await session.connection()
    row = (
        await conn.execute(
            text(
                "SELECT k.name, k.raw_days, k.rollup_days, r.channel_id IS NOT NULL AS explicit"
                " FROM telemetry_retention_class k"
                " LEFT JOIN channel_retention r ON r.channel_id = :id AND r.class_name = k.name"
                " WHERE k.name = COALESCE("
                "   (SELECT class_name FROM channel_retention WHERE channel_id = :id), :default)"
            ),
            {"id": channel_id, "default": DEFAULT_CLASS},
        )
    ).one()
    return ChannelRetention(
        channel_id, RetentionClass(row.name, row.raw_days, row.rollup_days), bool(row.explicit)
    )


async def set_channel_class(session: AsyncSession, channel_id: int, name: str) -> None:
    conn = await session.connection()
    await conn.execute(
        text(
            "INSERT INTO channel_retention (channel_id, class_name) VALUES (:id, :name)"
            " ON CONFLICT (channel_id) DO UPDATE SET class_name = EXCLUDED.class_name"
        ),
        {"id": channel_id, "name": name},
    )
