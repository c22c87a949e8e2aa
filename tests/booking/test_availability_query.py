"""The one-query availability against a straightforward per-instrument reference.

``availability`` reads policies, calendars, blackouts and bookings of every instrument in
one statement (bookings widened by each instrument's own buffer). The reference reads them
per instrument through the repository and runs the same pure core, so any difference is in
how the bulk query gathers its inputs.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

import pytest
from fastapi import FastAPI

from server.booking.availability import availability, free_intervals
from server.booking.integrations import blocked_spans
from server.booking.intervals import weekly_open_intervals
from server.booking.models import Blackout, Booking, BookingPolicy
from server.booking.opening_hours import from_record, to_record
from server.booking.repository import BookingRepository
from server.calibration.models import CalibrationCertificate
from server.catalog.models import Instrument
from server.core.booking_status import ACTIVE_STATUSES
from server.core.booking_status import BookingStatus as Status
from tests.harness.app import certify
from tests.harness.factories import World

pytestmark = pytest.mark.integration

CALENDARS = [
    [],  # around the clock
    [(d, time(8, 30), time(17, 30)) for d in range(5)],
    [(d, time(9), time(12)) for d in range(6)] + [(d, time(13), time(18)) for d in range(6)],
    [(5, time(10), time(16)), (6, time(0), time(0))],  # Sunday until 24:00
]


async def _populate(
    app: FastAPI, demo: World, rng: random.Random, now: datetime
) -> list[uuid.UUID]:
    enterprise = demo.organisations["杭州精测科技有限公司"]
    booker = demo.users["buyer@jingce.demo"]
    ids = []
    async with app.state.sessionmaker() as session, session.begin():
        for n in range(12):
            instrument = Instrument(
                lab_id=demo.lab.id,
                organisation_id=demo.instrument.organisation_id,
                name=f"测试仪器 {n}",
                is_open=True,
                opening_hours=to_record(rng.choice(CALENDARS)),
            )
            session.add(instrument)
            await session.flush()
            ids.append(instrument.id)
            if n % 4:  # the rest were never calibrated: blocked throughout
                session.add(
                    CalibrationCertificate(
                        instrument_id=instrument.id,
                        organisation_id=instrument.organisation_id,
                        number=f"CAL-{n}",
                        agency="浙江省计量科学研究院",
                        granted_on=(now - timedelta(days=30)).date(),
                        valid_from=now - timedelta(days=30),
                        valid_to=now + timedelta(days=rng.randint(1, 60)),
                        result="pass",
                    )
                )
            if rng.random() < 0.75:
                session.add(
                    BookingPolicy(
                        instrument_id=instrument.id,
                        slot_minutes=rng.choice([15, 30, 60]),
                        buffer_minutes=rng.choice([0, 10, 15, 45]),
                        lead_time_minutes=rng.choice([0, 60, 600]),
                        min_duration_minutes=rng.choice([30, 60, 120]),
                        horizon_days=rng.choice([7, 30, 90]),
                    )
                )
            cursor = now - timedelta(days=2)
            for _ in range(rng.randint(0, 25)):
                cursor += timedelta(minutes=rng.randint(0, 3000))
                length = timedelta(minutes=rng.choice([30, 45, 60, 120, 240]))
                session.add(
                    Booking(
                        instrument_id=instrument.id,
                        organisation_id=enterprise.id,
                        user_id=booker.id,
                        start_at=cursor,
                        end_at=cursor + length,
                        status=rng.choice(list(Status)).value,
                    )
                )
                cursor += length
            for _ in range(rng.randint(0, 2)):
                start = now + timedelta(minutes=rng.randint(-3000, 40_000))
                session.add(
                    Blackout(
                        instrument_id=instrument.id,
                        start_at=start,
                        end_at=start + timedelta(minutes=rng.randint(60, 5000)),
                        reason="检修",
                    )
                )
    return ids


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_bulk_availability_equals_the_per_instrument_reference(
    app: FastAPI, demo: World, seed: int
) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    await certify(app, demo, valid_to_days=20)  # the demo instrument lapses inside the window
    ids = [demo.instrument.id, *await _populate(app, demo, rng, now)]
    start = now + timedelta(minutes=rng.randint(-600, 600))
    end = start + timedelta(days=rng.choice([3, 14, 45]))
    active = {s.value for s in ACTIVE_STATUSES}

    async with app.state.sessionmaker() as session:
        bulk = await availability(session, ids, start, end, now=now)
        repo = BookingRepository(session)
        blocked = await blocked_spans(session, ids, start, end)
        reference = []
        for instrument_id in ids:
            policy = await repo.policy(instrument_id)
            buffer = timedelta(minutes=policy.buffer_minutes)
            record = await session.get(Instrument, instrument_id)
            assert record is not None
            hours = from_record(record.opening_hours)
            blackouts = (await repo.blackouts([instrument_id], start, end)).get(instrument_id, [])
            bookings = await repo.overlapping(instrument_id, start - buffer, end + buffer)
            assert all(b.status in active for b in bookings)
            reference.append(
                free_intervals(
                    policy=policy,
                    hours=hours,
                    blackouts=[(b.start_at, b.end_at) for b in blackouts],
                    blocked=[(b.start, b.end) for b in blocked.get(instrument_id, [])],
                    busy=[(b.start_at, b.end_at) for b in bookings],
                    start=start,
                    end=end,
                    now=now,
                )
            )

    assert [a.instrument_id for a in bulk] == ids
    assert [a.free for a in bulk] == reference
    assert [a.blocked for a in bulk] == [blocked.get(i, []) for i in ids]
    # The data is rich enough that the comparison means something.
    assert sum(len(free) for free in reference) > 10
    assert any(len(a.blocked) for a in bulk)


@pytest.mark.parametrize("seed", [4, 5])
async def test_every_moment_is_free_or_has_one_reason(app: FastAPI, demo: World, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    await certify(app, demo, valid_to_days=20)
    ids = [demo.instrument.id, *await _populate(app, demo, rng, now)]
    start = now + timedelta(minutes=rng.randint(-600, 600))
    end = start + timedelta(days=rng.choice([14, 45]))
    known = {
        "closed",
        "horizon",
        "lead_time",
        "blackout",
        "booked",
        "slot_grid",
        "calibration_expired",
        "not_calibrated",
        "out_of_service",
        "maintenance",
    }
    async with app.state.sessionmaker() as session:
        bulk = await availability(session, ids, start, end, now=now)
        repo = BookingRepository(session)
        blackouts = await repo.blackouts(ids, start, end)
        policies = await repo.policies(ids)
        seen: set[str] = set()
        for a in bulk:
            record = await session.get(Instrument, a.instrument_id)
            assert record is not None
            pieces = sorted(
                [(s, e, "free", "") for s, e in a.free]
                + [(u.start, u.end, u.reason, u.detail) for u in a.unavailable]
            )
            # The window is tiled: no gap, no overlap, nothing empty.
            assert pieces[0][0] == start
            assert pieces[-1][1] == end
            assert all(s < e for s, e, _, _ in pieces)
            assert all(p[1] == q[0] for p, q in pairwise(pieces))
            policy = policies[a.instrument_id]
            earliest = now + timedelta(minutes=policy.lead_time_minutes)
            furthest = now + timedelta(days=policy.horizon_days)
            opened = weekly_open_intervals(
                from_record(record.opening_hours),
                policy.timezone,
                start.date() - timedelta(days=1),
                (end - start).days + 3,
            )
            for u in a.unavailable:
                assert u.reason in known
                seen.add(u.reason)
                if u.reason == "closed":
                    # Outside opening hours, but for leftovers of open time too short for the
                    # slot grid or the minimum duration, which take the reason they adjoin.
                    inside = sum(
                        (
                            (min(e, u.end) - max(s, u.start))
                            for s, e in opened
                            if s < u.end and u.start < e
                        ),
                        timedelta(),
                    )
                    short = timedelta(minutes=policy.slot_minutes + policy.min_duration_minutes)
                    assert inside < u.end - u.start, (u, opened)
                    assert inside < 2 * short, (u, inside)
                elif u.reason == "lead_time":
                    assert u.start < earliest
                elif u.reason == "horizon":
                    assert u.end > furthest
                elif u.reason == "blackout":
                    assert any(
                        b.start_at < u.end and u.start < b.end_at and b.reason == u.detail
                        for b in blackouts.get(a.instrument_id, [])
                    )
    assert {"closed", "booked", "lead_time", "not_calibrated"} <= seen
