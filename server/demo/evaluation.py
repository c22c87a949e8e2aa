"""A year of demo activity for the sharing evaluation (``labshare-server seed-demo --catalogue``).

For three instruments of each of the four catalogue institutions: a sensor (state rule) and a
state timeline for the 365 Beijing days before today (off at night, weekends and statutory
holidays; running in stretches that vary by instrument and day), completed bookings of outside
users on about a third of the working days with their charges and some ratings, and one booking
that claims two hours while the instrument stood idle, so the reconciliation has a flag to
show. Deterministic for a given day; idempotent (nothing is added twice).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from server.evaluation.calendar import BEIJING, is_workday

__all__ = ["DEMO_PURPOSE", "seed_demo_evaluation"]

DEMO_PURPOSE = "演示：年度共享评价数据"
INSTRUMENTS_PER_INSTITUTION = 3
RULE = {
    "power": {
        "point": "power",
        "running_enter": 100,
        "running_exit": 80,
        "off_enter": 5,
        "off_exit": 10,
    }
}
HOURLY_FEE = Decimal("320.00")
COMMENTS = ("出数据很快，操作规范", "预约方便", "样品前处理耐心指导", "报告格式清楚")


def _unit(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from its inputs."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _at(day: date, hours: float) -> datetime:
    return datetime.combine(day, time(0), BEIJING) + timedelta(hours=hours)


def _day_plan(instrument: uuid.UUID, day: date, idle_day: bool) -> list[tuple[str, float]]:
    """(state, from hour) transitions of one day; the day starts "off"."""
    if not is_workday(day):
        return [("off", 0.0)]
    if idle_day:
        return [("off", 0.0), ("idle", 8.5), ("off", 17.5)]
    morning = 0.5 + 3.0 * _unit(instrument, day, "am")
    afternoon = 0.5 + 3.5 * _unit(instrument, day, "pm")
    return [
        ("off", 0.0),
        ("idle", 8.5),
        ("running", 9.0),
        ("idle", 9.0 + morning),
        ("running", 13.5),
        ("idle", 13.5 + afternoon),
        ("off", 17.5),
    ]


async def seed_demo_evaluation(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Add the year of activity unless it is there; returns the bookings added."""
    now = now or datetime.now(UTC)
    conn = await session.connection()
    done = await conn.execute(
        text("SELECT 1 FROM booking WHERE purpose = :p LIMIT 1"), {"p": DEMO_PURPOSE}
    )
    if done.first() is not None:
        return 0
    institutions = (
        await conn.execute(
            text(
                "SELECT o.id, o.name FROM organisation o WHERE o.kind = 'institution'"
                " AND EXISTS (SELECT 1 FROM instrument i WHERE i.organisation_id = o.id)"
                " ORDER BY o.name"
            )
        )
    ).all()
    users = {
        row.email: row
        for row in (
            await conn.execute(
                text(
                    "SELECT u.id, u.email, u.organisation_id FROM app_user u"
                    " WHERE u.email IN ('buyer@jingce.demo', 'manager@zju.demo',"
                    " 'manager@zjim.demo')"
                )
            )
        ).all()
    }
    buyer = users.get("buyer@jingce.demo")
    if buyer is None or not institutions:
        return 0
    today = now.astimezone(BEIJING).date()
    first_day = today - timedelta(days=365)
    added = 0
    for n_inst, institution in enumerate(institutions[:4]):
        # An outside institution's user: ZJU's manager, or ZJIM's for ZJU's own instruments.
        guest = next(
            (
                u
                for u in users.values()
                if u.organisation_id not in (institution.id, buyer.organisation_id)
            ),
            None,
        )
        instruments = (
            await conn.execute(
                text(
                    "SELECT i.id FROM instrument i WHERE i.organisation_id = :org"
                    " AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.instrument_id = i.id)"
                    # Not the demo chamber nor any instrument with live channels of its own.
                    " AND NOT EXISTS (SELECT 1 FROM channel c WHERE c.instrument_id = i.id)"
                    " AND NOT EXISTS (SELECT 1 FROM instrument_state_rule r"
                    "  WHERE r.instrument_id = i.id)"
                    " AND NOT EXISTS (SELECT 1 FROM instrument_state_interval s"
                    "  WHERE s.instrument_id = i.id)"
                    " ORDER BY i.name, i.id LIMIT :n"
                ),
                {"org": institution.id, "n": INSTRUMENTS_PER_INSTITUTION},
            )
        ).all()
        for n_instrument, row in enumerate(instruments):
            instrument: uuid.UUID = row.id
            # Listed before the year; one instrument got its sensor late (after 30 working days).
            listed = first_day - timedelta(days=70 if n_inst == 1 and n_instrument == 0 else 20)
            await conn.execute(
                text("UPDATE instrument SET created_at = :at WHERE id = :id"),
                {"at": _at(listed, 10), "id": instrument},
            )
            await conn.execute(
                text(
                    "INSERT INTO instrument_state_rule (instrument_id, rule, evaluated_until,"
                    " last_sample_at) VALUES (:id, CAST(:rule AS jsonb), :until, :until)"
                    " ON CONFLICT (instrument_id) DO NOTHING"
                ),
                {"id": instrument, "rule": json.dumps(RULE), "until": _at(today, 0)},
            )
            idle_day = _flag_day(today) if n_inst == 0 and n_instrument == 0 else None
            intervals: list[dict[str, Any]] = []
            bookings: list[dict[str, Any]] = []
            state, since = "off", _at(first_day, 0)
            day = first_day
            while day < today:
                plan = _day_plan(instrument, day, day == idle_day)
                for next_state, hour in plan:
                    at = _at(day, hour)
                    if next_state != state:
                        intervals.append({"i": instrument, "s": state, "a": since, "b": at})
                        state, since = next_state, at
                if day == idle_day:
                    bookings.append(_booking(instrument, buyer, day, 9.0, 11.0))
                elif plan[2:] and _unit(instrument, day, "booked") < 0.35:
                    who = buyer if _unit(instrument, day, "who") < 0.7 or guest is None else guest
                    end = plan[3][1]
                    bookings.append(_booking(instrument, who, day, 9.0, end))
                day += timedelta(days=1)
            # The current state stays open, up to now.
            intervals.append({"i": instrument, "s": state, "a": since, "b": None})
            await conn.execute(
                text(
                    "INSERT INTO instrument_state_interval (instrument_id, state, start_at,"
                    " end_at) VALUES (:i, :s, :a, :b)"
                ),
                intervals,
            )
            await _add_bookings(conn, bookings, institution.id)
            added += len(bookings)
    return added


def _flag_day(today: date) -> date:
    day = today - timedelta(days=20)
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def _booking(
    instrument: uuid.UUID, user: Any, day: date, start: float, end: float
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "inst": instrument,
        "org": user.organisation_id,
        "user": user.id,
        "start": _at(day, start),
        "end": _at(day, end),
        "samples": 1 + int(6 * _unit(instrument, day, "samples")),
        "purpose": DEMO_PURPOSE,
        "day": day,
        "minutes": round((end - start) * 60),
        "rating": 3 + int(3 * _unit(instrument, day, "rating")),
        "rated": _unit(instrument, day, "rated") < 0.4,
        "comment": COMMENTS[int(len(COMMENTS) * _unit(instrument, day, "comment"))],
    }


async def _add_bookings(
    conn: AsyncConnection, bookings: list[dict[str, Any]], institution: uuid.UUID
) -> None:
    if not bookings:
        return
    await conn.execute(
        text(
            "INSERT INTO booking (id, instrument_id, organisation_id, user_id, start_at, end_at,"
            " status, mode, sample_count, test_items, purpose, user_category, quoted_amount,"
            " overrun_minutes, checked_in_at, check_in_source, actual_start_at, actual_end_at,"
            " actual_minutes)"
            " VALUES (:id, :inst, :org, :user, :start, :end, 'completed', 'staff_operated',"
            " :samples, '{}', :purpose, 'enterprise', 0, 0, :start, 'demo', :start, :end,"
            " :minutes)"
        ),
        [
            {
                k: b[k]
                for k in (
                    "id",
                    "inst",
                    "org",
                    "user",
                    "start",
                    "end",
                    "samples",
                    "purpose",
                    "minutes",
                )
            }
            for b in bookings
        ],
    )
    await conn.execute(
        text(
            "INSERT INTO booking_charge (id, booking_id, instrument_id, organisation_id,"
            " institution_id, kind, category, minutes, breakdown, amount, voucher_amount,"
            " enterprise_amount, service_date) VALUES (:cid, :id, :inst, :org, :institution,"
            " 'usage', 'enterprise', :minutes, '{}'::jsonb, :amount, 0, :amount, :day)"
        ),
        [
            {
                "cid": uuid.uuid4(),
                "id": b["id"],
                "inst": b["inst"],
                "org": b["org"],
                "institution": institution,
                "minutes": b["minutes"],
                "amount": (HOURLY_FEE * b["minutes"] / 60).quantize(Decimal("0.01")),
                "day": b["day"],
            }
            for b in bookings
        ],
    )
    rated = [b for b in bookings if b["rated"]]
    if rated:
        await conn.execute(
            text(
                "INSERT INTO booking_rating (booking_id, instrument_id, user_id, score, comment,"
                " created_at) VALUES (:id, :inst, :user, :rating, :comment, :end)"
            ),
            [{k: b[k] for k in ("id", "inst", "user", "rating", "comment", "end")} for b in rated],
        )
