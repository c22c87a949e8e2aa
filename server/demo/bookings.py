"""Demo bookings in every state, with a published cost model, charges and vouchers.

Idempotent: a second run finds the demo bookings (purpose starts with ``[demo]``) and adds
nothing. Times are relative to the day of seeding, in Asia/Shanghai.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth.models import AppUser
from server.billing.models import ChargeKind, CostModel, CostRate, Voucher
from server.billing.service import charge_booking, quote_for
from server.booking.models import Booking, BookingMode, BookingPolicy, WaitlistEntry
from server.catalog.models import Channel, Instrument
from server.core.booking_status import BookingStatus

__all__ = ["DEMO_MARK", "seed_demo_bookings"]

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_MARK = "[demo]"
# The chamber's week: weekdays 08:30-17:30 and Saturday mornings (registry record shape).
DEMO_OPENING_HOURS: dict[str, list[list[str]]] = {
    **{day: [["08:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [["09:00", "12:00"]],
}


def _session_profile(minute: int) -> dict[str, float]:
    """The chamber during a 85 °C dry-heat test (GB/T 2423.2): a 20-minute ramp from the room,
    then steady with a small controller swing; the status register reads 2 (running)."""
    ramp = min(minute / 20, 1.0)
    swing = 0.3 * math.sin(minute / 3)
    return {
        "setpoint": 85.0,
        "temperature": round(23.0 + (85.0 - 23.0) * ramp + (swing if ramp == 1.0 else 0.0), 2),
        "humidity": round(45.0 - 30.0 * ramp + abs(swing), 1),
        "power": round(3200.0 if ramp < 1.0 else 1750.0 + 120.0 * swing, 1),
        "status": 2.0,
    }


async def _seed_session_readings(
    session: AsyncSession, instrument: Instrument, start: datetime, end: datetime
) -> None:
    """A reading a minute on each chamber channel over [start, end), the completed demo
    booking's actual use, so its session page and data download are not empty."""
    channels = (
        await session.exec(select(Channel).where(col(Channel.instrument_id) == instrument.id))
    ).all()
    minutes = int((end - start).total_seconds() // 60)
    rows = [
        {
            "channel": channel.id,
            "ts": start + timedelta(minutes=minute),
            "value": profile[channel.point_key],
        }
        for minute in range(minutes)
        for profile in [_session_profile(minute)]
        for channel in channels
        if channel.point_key in profile
    ]
    if rows:
        await (await session.connection()).execute(
            text(
                "INSERT INTO telemetry (channel_id, ts, value, quality)"
                " VALUES (:channel, :ts, :value, 0) ON CONFLICT DO NOTHING"
            ),
            rows,
        )


def _at(day: date, days: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=days), time(hour, minute), SHANGHAI)


async def seed_demo_bookings(
    session: AsyncSession, instrument: Instrument, users: Mapping[str, AppUser]
) -> int:
    """Add the demo bookings once; returns how many were added."""
    existing = await session.exec(
        select(Booking.id).where(col(Booking.purpose).startswith(DEMO_MARK)).limit(1)
    )
    if existing.first() is not None:
        return 0
    buyer = users["buyer@jingce.demo"]
    staff = users["staff@zjim.demo"]
    manager = users["manager@zjim.demo"]

    if await session.get(CostModel, instrument.id) is None:
        session.add(
            CostModel(
                instrument_id=instrument.id,
                consumables_per_hour=Decimal("12.50"),
                staff_service_per_hour=Decimal("80.00"),
                annual_depreciation=Decimal("96000.00"),
                rated_annual_hours=1600,
                other_per_hour=Decimal("7.35"),
                per_sample_fee=Decimal("45.00"),
            )
        )
        for category, factor in (("internal", "0.5"), ("external", "1"), ("enterprise", "1")):
            session.add(
                CostRate(instrument_id=instrument.id, category=category, factor=Decimal(factor))
            )
    if await session.get(BookingPolicy, instrument.id) is None:
        session.add(
            BookingPolicy(
                instrument_id=instrument.id,
                approval_required=True,
                cancellation_window_hours=24,
                voucher_max_share=Decimal("0.5"),
                quota_hours_per_week=Decimal("20"),
            )
        )
    # Opening hours live in the registry record; a lab manager's own hours are kept.
    if instrument.opening_hours is None:
        instrument.opening_hours = DEMO_OPENING_HOURS
        session.add(instrument)

    today = datetime.now(SHANGHAI).date()
    if (
        await session.exec(select(Voucher).where(Voucher.code == "HZKJQ-2026-000123"))
    ).first() is None:
        session.add_all(
            [
                Voucher(
                    code="HZKJQ-2026-000123",
                    issuer="杭州市科学技术局 Hangzhou Science and Technology Bureau",
                    holder_organisation_id=buyer.organisation_id,
                    face_value=Decimal("5000.00"),
                    balance=Decimal("5000.00"),
                    valid_from=today - timedelta(days=60),
                    valid_to=today + timedelta(days=300),
                    regions=["浙江"],
                ),
                Voucher(
                    code="CSJ-2026-004567",
                    issuer="长三角科技资源共享服务平台 Yangtze Delta sharing platform",
                    holder_organisation_id=buyer.organisation_id,
                    face_value=Decimal("2000.00"),
                    balance=Decimal("2000.00"),
                    valid_from=today,
                    valid_to=today + timedelta(days=700),
                    regions=["长三角"],
                ),
            ]
        )
    await session.flush()

    now = datetime.now(UTC)
    current = datetime.fromtimestamp((now.timestamp() // 1800) * 1800, UTC)

    def booking(
        start: datetime, hours: float, status: BookingStatus, who: str = "buyer", **extra: object
    ) -> Booking:
        user = buyer if who == "buyer" else staff
        staff_operated = who == "buyer"
        return Booking(
            instrument_id=instrument.id,
            organisation_id=user.organisation_id,
            user_id=user.id,
            start_at=start,
            end_at=start + timedelta(hours=hours),
            status=status,
            mode=(BookingMode.STAFF_OPERATED if staff_operated else BookingMode.SELF_OPERATED),
            sample_count=3 if staff_operated else 0,
            test_items=["高温试验 GB/T 2423.2", "低温试验 GB/T 2423.1"] if staff_operated else [],
            user_category="enterprise" if who == "buyer" else "internal",
            quoted_amount=Decimal("0.00"),
            # Booked two days ahead (or two days ago, for what is still to come).
            created_at=min(start, now) - timedelta(days=2),
            **extra,  # type: ignore[arg-type]
        )

    completed_start = _at(today, -7, 9)
    rows = [
        booking(
            completed_start,
            2,
            BookingStatus.COMPLETED,
            purpose=f"{DEMO_MARK} 已完成（超时 10 分钟）Completed with a 10-minute over-run",
            checked_in_at=completed_start + timedelta(minutes=5),
            check_in_source="telemetry",
            actual_start_at=completed_start + timedelta(minutes=5),
            actual_end_at=completed_start + timedelta(hours=2, minutes=10),
            actual_minutes=125,
            overrun_minutes=10,
        ),
        booking(
            _at(today, -5, 14), 2, BookingStatus.NO_SHOW, purpose=f"{DEMO_MARK} 未到场 No-show"
        ),
        booking(
            _at(today, -3, 9),
            1,
            BookingStatus.CANCELLED,
            purpose=f"{DEMO_MARK} 逾期取消 Late cancellation",
            cancelled_at=_at(today, -4, 10),
            cancelled_by=buyer.id,
        ),
        booking(
            _at(today, -2, 10),
            2,
            BookingStatus.CANCELLED,
            who="staff",
            purpose=f"{DEMO_MARK} 按时取消 Cancelled in time",
            cancelled_at=_at(today, -6, 10),
            cancelled_by=staff.id,
        ),
        booking(
            _at(today, -1, 15),
            1,
            BookingStatus.REJECTED,
            purpose=f"{DEMO_MARK} 未批准 Rejected",
            decided_by=manager.id,
            decided_at=_at(today, -2, 9),
        ),
        booking(
            current - timedelta(minutes=30),
            2,
            BookingStatus.CHECKED_IN,
            who="staff",
            purpose=f"{DEMO_MARK} 使用中 In use",
            checked_in_at=current - timedelta(minutes=25),
            check_in_source="manual",
        ),
        booking(
            _at(today, 2, 9),
            3,
            BookingStatus.CONFIRMED,
            purpose=f"{DEMO_MARK} 已确认 Confirmed",
            decided_by=manager.id,
            decided_at=now,
        ),
        booking(
            _at(today, 3, 14),
            2,
            BookingStatus.PENDING,
            purpose=f"{DEMO_MARK} 待审批 Pending approval",
        ),
    ]
    for row in rows:
        q = await quote_for(
            session,
            instrument.id,
            category=row.user_category,
            minutes=int((row.end_at - row.start_at).total_seconds() // 60),
            staff_operated=row.mode == BookingMode.STAFF_OPERATED.value,
            sample_count=row.sample_count,
        )
        row.quoted_amount = q.total
    # Past bookings may overlap the in-use one only if the clock is odd: the constraint decides.
    session.add_all(rows)
    await session.flush()
    charges = (
        (rows[0], ChargeKind.USAGE, 125, None),
        (rows[1], ChargeKind.NO_SHOW, 120, Decimal("1")),
        (rows[2], ChargeKind.LATE_CANCELLATION, 60, Decimal("0.5")),
    )
    for row, kind, minutes, share in charges:
        await charge_booking(
            session,
            booking_id=row.id,
            instrument=instrument,
            organisation_id=row.organisation_id,
            category=row.user_category,
            kind=kind,
            minutes=minutes,
            staff_operated=True,
            sample_count=row.sample_count,
            service_start=row.start_at,
            share=share,
            voucher_max_share=Decimal("0.5"),
        )
    used_from, used_until = rows[0].actual_start_at, rows[0].actual_end_at
    if used_from is not None and used_until is not None:
        await _seed_session_readings(session, instrument, used_from, used_until)
    session.add(
        WaitlistEntry(
            instrument_id=instrument.id,
            organisation_id=staff.organisation_id,
            user_id=staff.id,
            start_at=_at(today, 2, 10),
            end_at=_at(today, 2, 11),
        )
    )
    await session.flush()
    logger.info("demo bookings added", extra={"bookings": len(rows)})
    return len(rows)
