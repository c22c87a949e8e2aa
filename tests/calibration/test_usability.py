"""Usability over a time range, on a real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import event, text

from server.calibration.models import CalibrationCertificate, MaintenanceWindow, OutOfService
from server.calibration.usability import (
    Blocked,
    UnusableReason,
    blocked_intervals,
    check_usability,
    uncovered,
)
from server.catalog.models import Instrument
from tests.harness.factories import World

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_uncovered_subtracts_overlapping_covers() -> None:
    assert uncovered(h(0), h(10), [(h(2), h(4)), (h(3), h(5)), (h(8), h(20))]) == [
        (h(0), h(2)),
        (h(5), h(8)),
    ]
    assert uncovered(h(0), h(10), []) == [(h(0), h(10))]
    assert uncovered(h(0), h(10), [(h(-1), h(11))]) == []


async def _add_certificate(
    app: FastAPI, instrument: Instrument, start: datetime, end: datetime, result: str = "pass"
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            CalibrationCertificate(
                instrument_id=instrument.id,
                organisation_id=instrument.organisation_id,
                number=f"C-{uuid.uuid4().hex[:6]}",
                agency="浙江省计量科学研究院",
                granted_on=start.date(),
                valid_from=start,
                valid_to=end,
                result=result,
            )
        )


async def test_never_calibrated_instrument_is_blocked_for_the_whole_range(
    app: FastAPI, demo: World
) -> None:
    async with app.state.sessionmaker() as session:
        usability = await check_usability(session, demo.instrument.id, h(0), h(4), now=h(-100))
    assert not usability.usable
    assert usability.blocked == [
        Blocked(
            h(0), h(4), UnusableReason.NOT_CALIBRATED, "the instrument has never been calibrated"
        )
    ]


async def test_expiry_maintenance_and_out_of_service_block_their_own_parts(
    app: FastAPI, demo: World
) -> None:
    instrument = demo.instrument
    await _add_certificate(app, instrument, h(-1000), h(10))
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            MaintenanceWindow(
                instrument_id=instrument.id,
                organisation_id=instrument.organisation_id,
                start_at=h(2),
                end_at=h(3),
                description="更换密封条",
            )
        )
        session.add(
            OutOfService(
                instrument_id=instrument.id,
                organisation_id=instrument.organisation_id,
                start_at=h(5),
                end_at=h(6),
                reason="温度漂移",
                cause_kind="fault",
            )
        )
    async with app.state.sessionmaker() as session:
        found = await blocked_intervals(session, [instrument.id], h(0), h(12), now=h(-100))
        inside = await check_usability(session, instrument.id, h(3), h(5), now=h(-100))
    reasons = [(b.start, b.end, b.reason) for b in found[instrument.id]]
    assert reasons == [
        (h(2), h(3), UnusableReason.MAINTENANCE),
        (h(5), h(6), UnusableReason.OUT_OF_SERVICE),
        (h(10), h(12), UnusableReason.CALIBRATION_EXPIRED),
    ]
    assert inside.usable
    assert inside.blocked == []


async def test_offline_gateway_blocks_now_but_not_the_future(app: FastAPI, demo: World) -> None:
    await _add_certificate(app, demo.instrument, h(-1000), h(1000))
    async with app.state.sessionmaker() as session, session.begin():
        await (await session.connection()).execute(
            text("UPDATE gateway SET status = 'offline' WHERE id = :id"), {"id": demo.gateway.id}
        )
    async with app.state.sessionmaker() as session:
        now_range = await check_usability(session, demo.instrument.id, h(0), h(2), now=h(1))
        future = await check_usability(session, demo.instrument.id, h(5), h(7), now=h(1))
    assert [b.reason for b in now_range.blocked] == [UnusableReason.GATEWAY_OFFLINE]
    assert now_range.blocked[0].start == h(1)
    assert future.usable


async def test_many_instruments_are_answered_in_a_fixed_number_of_queries(
    app: FastAPI, demo: World
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await (await session.connection()).execute(
            text(
                "INSERT INTO instrument (lab_id, organisation_id, name, calibration_required) "
                "SELECT :lab, :org, 'bulk ' || g, g % 2 = 0 FROM generate_series(1, 2000) g"
            ),
            {"lab": demo.lab.id, "org": demo.lab.organisation_id},
        )
        ids = list(
            (
                await (await session.connection()).execute(text("SELECT id FROM instrument"))
            ).scalars()
        )
    sent: list[tuple[object, str]] = []

    engine = app.state.engine.sync_engine

    def count(*args: object) -> None:
        sent.append((args[0], str(args[2])))

    event.listen(engine, "before_cursor_execute", count)
    try:
        async with app.state.sessionmaker() as session:
            # Only this session's statements: the app's background jobs share the engine.
            mine = (await session.connection()).sync_connection
            found = await blocked_intervals(session, ids, h(0), h(24), now=h(-100))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    statements = [statement for conn, statement in sent if conn is mine]
    assert len(found) == len(ids)
    assert 1 <= len(statements) <= 3  # two queries (plus the session's BEGIN at most)
    blocked = sum(1 for v in found.values() if v)
    assert blocked == 1 + 1000  # demo instrument + the ones that need calibration
    # Its speed is a benchmark's business (docs/benchmarks.md), not a wall-clock assert here.


async def test_unknown_instrument_is_reported(app: FastAPI, demo: World) -> None:
    async with app.state.sessionmaker() as session:
        found = await blocked_intervals(session, [uuid.uuid4()], h(0), h(1))
    assert found == {}
