"""Small factories for sharing-evaluation tests: organisations, instruments, state intervals,
bookings and charges written straight to the database (no demo seed)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.security import hash_password

__all__ = [
    "PASSWORD",
    "World",
    "add_booking",
    "add_charge",
    "add_instrument",
    "add_interval",
    "make_world",
]

PASSWORD = "evaluation-password-1"
POWER_RULE = {
    "power": {
        "point": "power",
        "running_enter": 100,
        "running_exit": 80,
        "off_enter": 5,
        "off_exit": 10,
    }
}


@dataclass
class World:
    institution: uuid.UUID
    other_institution: uuid.UUID
    enterprise: uuid.UUID
    platform: uuid.UUID
    lab: uuid.UUID
    manager: str  # e-mail of the institution's lab manager
    enterprise_user: uuid.UUID
    enterprise_email: str
    other_user: uuid.UUID
    internal_user: uuid.UUID
    admin_email: str


async def _org(conn: AsyncConnection, kind: str, name: str, city: str | None) -> uuid.UUID:
    oid = uuid.uuid4()
    await conn.execute(
        text("INSERT INTO organisation (id, kind, name, city) VALUES (:id, :kind, :name, :city)"),
        {"id": oid, "kind": kind, "name": name, "city": city},
    )
    return oid


async def _user(conn: AsyncConnection, org: uuid.UUID, role: str, email: str) -> uuid.UUID:
    uid = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO app_user (id, organisation_id, email, full_name, role, password_hash)"
            " VALUES (:id, :org, :email, :name, :role, :hash)"
        ),
        {
            "id": uid,
            "org": org,
            "email": email,
            "name": email.split("@")[0],
            "role": role,
            "hash": hash_password(PASSWORD),
        },
    )
    return uid


async def make_world(conn: AsyncConnection) -> World:
    tag = uuid.uuid4().hex[:6]
    inst = await _org(conn, "institution", f"杭州检测研究院{tag}", "杭州")
    other = await _org(conn, "institution", f"宁波大学{tag}", "宁波")
    ent = await _org(conn, "enterprise", f"绍兴精密{tag}", "绍兴")
    platform = await _org(conn, "platform", f"省科技厅{tag}", "杭州")
    lab = uuid.uuid4()
    await conn.execute(
        text("INSERT INTO lab (id, organisation_id, name) VALUES (:id, :org, '理化实验室')"),
        {"id": lab, "org": inst},
    )
    manager = f"manager-{tag}@eval.test"
    await _user(conn, inst, "lab_manager", manager)
    internal = await _user(conn, inst, "lab_staff", f"staff-{tag}@eval.test")
    ent_email = f"buyer-{tag}@eval.test"
    ent_user = await _user(conn, ent, "enterprise_member", ent_email)
    other_user = await _user(conn, other, "lab_staff", f"guest-{tag}@eval.test")
    admin = f"admin-{tag}@eval.test"
    await _user(conn, platform, "platform_admin", admin)
    return World(
        inst, other, ent, platform, lab, manager, ent_user, ent_email, other_user, internal, admin
    )


async def add_instrument(
    conn: AsyncConnection,
    world: World,
    *,
    name: str = "气相色谱仪",
    sensor: bool = True,
    opening_hours: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> uuid.UUID:
    iid = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO instrument (id, lab_id, organisation_id, name, is_open, opening_hours,"
            " created_at) VALUES (:id, :lab, :org, :name, true, CAST(:hours AS jsonb),"
            " coalesce(:created, now()))"
        ),
        {
            "id": iid,
            "lab": world.lab,
            "org": world.institution,
            "name": name,
            "hours": json.dumps(opening_hours) if opening_hours is not None else None,
            "created": created_at,
        },
    )
    if sensor:
        await conn.execute(
            text(
                "INSERT INTO instrument_state_rule (instrument_id, rule)"
                " VALUES (:id, CAST(:rule AS jsonb))"
            ),
            {"id": iid, "rule": json.dumps(POWER_RULE)},
        )
    return iid


async def add_interval(
    conn: AsyncConnection,
    instrument: uuid.UUID,
    state: str,
    start: datetime,
    end: datetime | None,
) -> int:
    return int(
        (
            await conn.execute(
                text(
                    "INSERT INTO instrument_state_interval (instrument_id, state, start_at, end_at)"
                    " VALUES (:id, :state, :start, :end) RETURNING id"
                ),
                {"id": instrument, "state": state, "start": start, "end": end},
            )
        ).scalar_one()
    )


async def add_booking(
    conn: AsyncConnection,
    instrument: uuid.UUID,
    organisation: uuid.UUID,
    user: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    actual: tuple[datetime, datetime] | None = None,
    status: str = "completed",
    samples: int = 1,
) -> uuid.UUID:
    bid = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO booking (id, instrument_id, organisation_id, user_id, start_at, end_at,"
            " status, mode, sample_count, test_items, purpose, user_category, quoted_amount,"
            " overrun_minutes, actual_start_at, actual_end_at, actual_minutes)"
            " VALUES (:id, :inst, :org, :user, :start, :end, :status, 'self_operated', :samples,"
            " '{}', '', 'enterprise', 0, 0, :a_start, :a_end, :a_min)"
        ),
        {
            "id": bid,
            "inst": instrument,
            "org": organisation,
            "user": user,
            "start": start,
            "end": end,
            "status": status,
            "samples": samples,
            "a_start": actual[0] if actual else None,
            "a_end": actual[1] if actual else None,
            "a_min": int((actual[1] - actual[0]).total_seconds() // 60) if actual else None,
        },
    )
    return bid


async def add_charge(
    conn: AsyncConnection,
    booking: uuid.UUID,
    instrument: uuid.UUID,
    organisation: uuid.UUID,
    institution: uuid.UUID,
    *,
    minutes: int,
    amount: Decimal,
    voucher: Decimal = Decimal("0.00"),
    service_date: Any = None,
) -> None:
    await conn.execute(
        text(
            "INSERT INTO booking_charge (id, booking_id, instrument_id, organisation_id,"
            " institution_id, kind, category, minutes, breakdown, amount, voucher_amount,"
            " enterprise_amount, service_date) VALUES (:id, :b, :i, :o, :inst, 'usage',"
            " 'enterprise', :m, '{}'::jsonb, :a, :v, :a - :v, coalesce(:d, current_date))"
        ),
        {
            "id": uuid.uuid4(),
            "b": booking,
            "i": instrument,
            "o": organisation,
            "inst": institution,
            "m": minutes,
            "a": amount,
            "v": voucher,
            "d": service_date,
        },
    )


async def add_charged_booking(
    conn: AsyncConnection,
    world: World,
    instrument: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    amount: Decimal,
    voucher: Decimal = Decimal("0.00"),
) -> uuid.UUID:
    """A completed booking of the world's enterprise, charged for its whole length."""
    booking = await add_booking(
        conn, instrument, world.enterprise, world.enterprise_user, start, end
    )
    await add_charge(
        conn,
        booking,
        instrument,
        world.enterprise,
        world.institution,
        minutes=int((end - start).total_seconds() // 60),
        amount=amount,
        voucher=voucher,
    )
    return booking


BEIJING = ZoneInfo("Asia/Shanghai")


def bj(*args: int) -> datetime:
    """A Beijing wall time: ``bj(2026, 3, 10, 9)``."""
    return datetime(*args, tzinfo=BEIJING)  # type: ignore[misc]
