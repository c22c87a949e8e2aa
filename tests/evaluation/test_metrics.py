"""Exact sharing metrics: Beijing day, month and year boundaries, open intervals, overlapping
bookings, late data, declared hours, opening hours with statutory holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.evaluation.aggregates import refresh_state_days
from server.evaluation.calendar import Period
from server.evaluation.metrics import Level, MetricRow, Scope, compute_metrics
from server.jobs import BackgroundJobs, JobSettings
from tests.harness.evaluation import (
    World,
    add_booking,
    add_charged_booking,
    add_instrument,
    add_interval,
    bj,
)

NOW = datetime(2027, 3, 1, tzinfo=UTC)  # every period below is over


async def refresh(app: FastAPI) -> None:
    async with app.state.engine.connect() as c:
        await refresh_state_days(c)


async def metric(
    conn: AsyncConnection,
    scope: Scope,
    first: date,
    last: date,
    now: datetime = NOW,
    level: Level = Level.INSTRUMENT,
) -> MetricRow:
    rows = await compute_metrics(conn, level, scope, Period(first, last), now)
    assert len(rows) == 1
    return rows[0]


async def test_an_interval_across_beijing_midnight_is_split_between_the_days(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world)
    # 22:00 to 02:00 Beijing time, i.e. 14:00 to 18:00 UTC on one UTC day.
    await add_interval(conn, inst, "running", bj(2026, 3, 1, 22), bj(2026, 3, 2, 2))
    await refresh(app)
    days = (
        await conn.execute(
            text(
                "SELECT day, seconds FROM evaluation_state_day WHERE instrument_id = :i"
                " ORDER BY day"
            ),
            {"i": inst},
        )
    ).all()
    assert [(d.day, d.seconds) for d in days] == [
        (date(2026, 3, 1), Decimal("7200")),
        (date(2026, 3, 2), Decimal("7200")),
    ]
    scope = Scope(instrument_id=inst)
    assert (await metric(conn, scope, date(2026, 3, 1), date(2026, 3, 1))).effective_hours == 2
    assert (await metric(conn, scope, date(2026, 3, 2), date(2026, 3, 2))).effective_hours == 2
    assert (await metric(conn, scope, date(2026, 3, 1), date(2026, 3, 2))).effective_hours == 4


async def test_month_and_year_boundaries_in_beijing_time(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world)
    # New Year's Eve 23:00 to 01:30 Beijing: 16:00-18:30 UTC on 31 December.
    await add_interval(conn, inst, "running", bj(2025, 12, 31, 23), bj(2026, 1, 1, 1, 30))
    await add_interval(conn, inst, "idle", bj(2026, 1, 1, 1, 30), bj(2026, 1, 31, 23, 15))
    await add_interval(conn, inst, "running", bj(2026, 1, 31, 23, 15), bj(2026, 2, 1, 0, 45))
    await refresh(app)
    scope = Scope(instrument_id=inst)
    assert (await metric(conn, scope, date(2025, 1, 1), date(2025, 12, 31))).effective_hours == 1
    assert (await metric(conn, scope, date(2026, 1, 1), date(2026, 12, 31))).effective_hours == 3
    assert (await metric(conn, scope, date(2026, 1, 1), date(2026, 1, 31))).effective_hours == 2.25
    assert (await metric(conn, scope, date(2026, 2, 1), date(2026, 2, 28))).effective_hours == 0.75


async def test_an_open_interval_counts_up_to_now(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world)
    await add_interval(conn, inst, "idle", bj(2026, 5, 3, 8), bj(2026, 5, 3, 9))
    await add_interval(conn, inst, "running", bj(2026, 5, 3, 9), None)
    await refresh(app)
    scope = Scope(instrument_id=inst)
    now = bj(2026, 5, 4, 1, 30)  # 16.5 hours after the interval opened
    assert (
        await metric(conn, scope, date(2026, 5, 3), date(2026, 5, 3), now)
    ).effective_hours == 15
    assert (
        await metric(conn, scope, date(2026, 5, 4), date(2026, 5, 4), now)
    ).effective_hours == 1.5
    assert (
        await metric(conn, scope, date(2026, 5, 1), date(2026, 5, 31), now)
    ).effective_hours == 16.5


async def test_overlapping_bookings_never_count_twice(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world)
    await add_interval(conn, inst, "running", bj(2026, 6, 1, 8), bj(2026, 6, 1, 18))
    # Back-to-back bookings whose actual use overlaps (the first overran by 30 minutes).
    await add_booking(
        conn,
        inst,
        world.enterprise,
        world.enterprise_user,
        bj(2026, 6, 1, 9),
        bj(2026, 6, 1, 11),
        actual=(bj(2026, 6, 1, 9), bj(2026, 6, 1, 11, 30)),
    )
    await add_booking(
        conn,
        inst,
        world.other_institution,
        world.other_user,
        bj(2026, 6, 1, 11),
        bj(2026, 6, 1, 13),
        actual=(bj(2026, 6, 1, 11), bj(2026, 6, 1, 13)),
    )
    # Internal use is effective but not external.
    await add_booking(
        conn, inst, world.institution, world.internal_user, bj(2026, 6, 1, 14), bj(2026, 6, 1, 15)
    )
    await refresh(app)
    row = await metric(conn, Scope(instrument_id=inst), date(2026, 6, 1), date(2026, 6, 30))
    assert row.effective_hours == 10
    assert row.external_service_hours == 4  # 09:00-13:00, not 2.5 + 2
    assert row.enterprise_hours == 2.5
    assert row.other_institution_hours == 1.5
    assert row.sharing_rate == 0.4
    assert row.service_records == 2
    assert row.enterprises == 1
    assert row.users == 2


async def test_external_hours_are_measured_not_claimed(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world)
    await add_interval(conn, inst, "idle", bj(2026, 6, 2, 9), bj(2026, 6, 2, 10))
    await add_interval(conn, inst, "running", bj(2026, 6, 2, 10), bj(2026, 6, 2, 10, 45))
    await add_interval(conn, inst, "off", bj(2026, 6, 2, 10, 45), bj(2026, 6, 2, 12))
    await add_booking(
        conn, inst, world.enterprise, world.enterprise_user, bj(2026, 6, 2, 9), bj(2026, 6, 2, 12)
    )
    await refresh(app)
    row = await metric(conn, Scope(instrument_id=inst), date(2026, 6, 2), date(2026, 6, 2))
    assert row.external_service_hours == 0.75
    assert row.extra["measured"] is True


async def test_without_a_sensor_hours_are_declared_from_completed_bookings(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world, sensor=False)
    await add_charged_booking(
        conn,
        world,
        inst,
        bj(2026, 7, 1, 9),
        bj(2026, 7, 1, 12),
        amount=Decimal("900.00"),
        voucher=Decimal("300.00"),
    )
    await add_booking(
        conn,
        inst,
        world.enterprise,
        world.enterprise_user,
        bj(2026, 7, 2, 9),
        bj(2026, 7, 2, 12),
        status="cancelled",
    )
    await refresh(app)
    row = await metric(conn, Scope(instrument_id=inst), date(2026, 7, 1), date(2026, 7, 31))
    assert row.extra["measured"] is False
    assert row.effective_hours == row.declared_hours == 3
    assert row.external_service_hours == row.enterprise_hours == 3
    assert row.fees == Decimal("900.00")
    assert row.voucher_amount == Decimal("300.00")
    assert row.samples == 1


async def test_late_data_rewriting_the_timeline_is_re_aggregated_by_the_job_runner(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world)
    offline = await add_interval(conn, inst, "offline", bj(2026, 8, 1, 9), bj(2026, 8, 1, 17))
    await refresh(app)
    scope = Scope(instrument_id=inst)
    assert (await metric(conn, scope, date(2026, 8, 1), date(2026, 8, 1))).effective_hours == 0
    # A gateway's spool arrives: the "offline" stretch was really running then idle.
    await conn.execute(
        text("DELETE FROM instrument_state_interval WHERE id = :id"), {"id": offline}
    )
    await add_interval(conn, inst, "running", bj(2026, 8, 1, 9), bj(2026, 8, 1, 15))
    await add_interval(conn, inst, "idle", bj(2026, 8, 1, 15), bj(2026, 8, 1, 17))
    jobs = BackgroundJobs(app.state.sessionmaker, JobSettings(jobs_enabled=False))
    await jobs.run_once(NOW)
    pending = (
        await conn.execute(text("SELECT count(*) FROM evaluation_state_day_pending"))
    ).scalar()
    assert pending == 0
    states = dict(
        (
            await conn.execute(
                text(
                    "SELECT state, seconds FROM evaluation_state_day"
                    " WHERE instrument_id = :i AND day = '2026-08-01'"
                ),
                {"i": inst},
            )
        ).all()
    )
    assert states == {"running": Decimal("21600"), "idle": Decimal("7200")}
    assert (await metric(conn, scope, date(2026, 8, 1), date(2026, 8, 1))).effective_hours == 6


async def test_utilisation_uses_opening_hours_without_statutory_holidays(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    weekdays = {k: [["09:00", "17:00"]] for k in ("mon", "tue", "wed", "thu", "fri")}
    inst = await add_instrument(conn, world, opening_hours=weekdays)
    await add_interval(conn, inst, "running", bj(2026, 10, 9, 9), bj(2026, 10, 9, 17))
    await refresh(app)
    # 28 Sep to 11 Oct 2026: National Day holidays 1-7 Oct; Sat 10 Oct is a make-up working
    # day. Working days with hours: 28, 29, 30 Sep, 8, 9, 10 Oct = 6 days x 8 h.
    row = await metric(conn, Scope(instrument_id=inst), date(2026, 9, 28), date(2026, 10, 11))
    assert row.opening_hours == 48
    assert row.utilisation == round(8 / 48, 4)


async def test_levels_roll_up_instruments_to_institution_city_and_province(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    a = await add_instrument(conn, world, name="A")
    b = await add_instrument(conn, world, name="B", sensor=False)
    await add_interval(conn, a, "running", bj(2026, 4, 1, 8), bj(2026, 4, 1, 12))
    await add_booking(
        conn, b, world.enterprise, world.enterprise_user, bj(2026, 4, 2, 8), bj(2026, 4, 2, 10)
    )
    await refresh(app)
    period = Period(date(2026, 4, 1), date(2026, 4, 30))
    scope = Scope(organisation_id=world.institution)
    (inst,) = await compute_metrics(conn, Level.INSTITUTION, scope, period, NOW)
    (city,) = await compute_metrics(conn, Level.CITY, scope, period, NOW)
    assert inst.instruments == city.instruments == 2
    assert inst.measured_instruments == 1
    assert inst.effective_hours == city.effective_hours == 6
    assert inst.declared_hours == 2
    assert inst.average_effective_hours == 3
    assert city.name == "杭州"
    instruments = await compute_metrics(conn, Level.INSTRUMENT, scope, period, NOW)
    assert [r.name for r in instruments] == ["A", "B"]


@pytest.mark.parametrize(
    "bad", ["level=galaxy", "year=1999", "date_from=2026-02-01&date_to=2026-01-01"]
)
async def test_bad_queries_are_problems(client, auth, world: World, bad: str) -> None:  # type: ignore[no-untyped-def]
    headers = await auth(world.admin_email)
    response = await client.get(f"/api/v1/evaluation/metrics?{bad}", headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_concurrent_refreshes_of_the_same_day_agree(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    import asyncio

    inst = await add_instrument(conn, world)
    for hour in range(8, 18):  # ten intervals, ten queue rows for the same day
        await add_interval(conn, inst, "running", bj(2026, 9, 8, hour), bj(2026, 9, 8, hour, 30))

    async def runner() -> int:
        async with app.state.engine.connect() as c:
            return await refresh_state_days(c, batch=1)

    consumed = await asyncio.gather(runner(), runner(), runner())
    assert sum(consumed) == 10
    row = await metric(conn, Scope(instrument_id=inst), date(2026, 9, 8), date(2026, 9, 8))
    assert row.effective_hours == 5


async def test_a_booking_completed_later_and_periods_cutting_months_agree_with_the_rollups(
    app: FastAPI, conn: AsyncConnection, world: World
) -> None:
    inst = await add_instrument(conn, world)
    await add_interval(conn, inst, "running", bj(2026, 2, 10, 8), bj(2026, 2, 10, 18))
    await add_interval(conn, inst, "running", bj(2026, 3, 5, 8), bj(2026, 3, 5, 12))
    booking = await add_booking(
        conn,
        inst,
        world.enterprise,
        world.enterprise_user,
        bj(2026, 3, 5, 9),
        bj(2026, 3, 5, 11),
        status="confirmed",
    )
    await refresh(app)
    scope = Scope(instrument_id=inst)
    before = await metric(conn, scope, date(2026, 1, 1), date(2026, 12, 31))
    assert (before.effective_hours, before.external_service_hours) == (14, 0)
    assert before.service_records == 0

    # The booking is completed after the days were rolled up: the job runner redoes them.
    await conn.execute(
        text("UPDATE booking SET status = 'completed' WHERE id = :id"), {"id": booking}
    )
    await refresh(app)
    year = await metric(conn, scope, date(2026, 1, 1), date(2026, 12, 31))
    assert (year.effective_hours, year.external_service_hours) == (14, 2)
    assert year.service_records == 1
    # Part of January, all of February, part of March: day rows around the monthly rollup.
    cut = await metric(conn, scope, date(2026, 1, 15), date(2026, 3, 5))
    assert (cut.effective_hours, cut.external_service_hours, cut.service_records) == (14, 2, 1)
    march = await metric(conn, scope, date(2026, 3, 2), date(2026, 3, 31))
    assert (march.effective_hours, march.external_service_hours) == (4, 2)
    assert march.service_records == 1
    february = await metric(conn, scope, date(2026, 2, 1), date(2026, 3, 4))
    assert (february.effective_hours, february.service_records) == (10, 0)
