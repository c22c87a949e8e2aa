"""Opening hours have one home, the registry's instrument record: what the lab manager edits
there is what availability and the booking rules apply, and revision 0006 moves booking's old
table into it without losing either side's data."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import psycopg
import pytest
from alembic import command
from psycopg.types.json import Jsonb

from server.core.migrations import alembic_config
from tests.harness import PostgresCluster
from tests.harness.app import API, Login
from tests.harness.booking import SHANGHAI, body, day_at
from tests.harness.factories import World

pytestmark = pytest.mark.integration

WEEKDAYS = {day: [["08:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def _next(weekday: int) -> int:
    """Days from today to the next given weekday (0 = Monday), at least three days ahead."""
    today = datetime.now(SHANGHAI).date()
    return next(d for d in range(3, 10) if (today + timedelta(days=d)).weekday() == weekday)


async def test_record_hours_close_the_weekend_for_availability_and_booking(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    manager, buyer = await login("manager@zjim.demo"), await login("buyer@jingce.demo")
    r = await client.patch(
        f"{API}/instruments/{demo.instrument.id}/record",
        json={"opening_hours": WEEKDAYS},
        headers=manager,
    )
    assert r.status_code == 200, r.text

    saturday = _next(5)
    r = await client.get(
        f"{API}/availability",
        params={
            "instrument_id": str(demo.instrument.id),
            "start": day_at(saturday - 1, 0).isoformat(),
            "end": day_at(saturday + 3, 0).isoformat(),
        },
        headers=buyer,
    )
    assert r.status_code == 200, r.text
    [availability] = r.json()
    free = [
        (datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
        for s in availability["free"]
    ]
    # Friday and Monday 08:30-17:00; nothing at the weekend, which reads "closed" throughout.
    assert free == [
        (day_at(saturday - 1, 8, 30), day_at(saturday - 1, 17)),
        (day_at(saturday + 2, 8, 30), day_at(saturday + 2, 17)),
    ]
    weekend = [
        u
        for u in availability["unavailable"]
        if datetime.fromisoformat(u["start"]) <= day_at(saturday, 0)
        and datetime.fromisoformat(u["end"]) >= day_at(saturday + 2, 0)
    ]
    assert [(u["reason"], u["detail"]) for u in weekend] == [("closed", "")]

    refused = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, day_at(saturday, 10), 1), headers=buyer
    )
    assert refused.status_code == 422
    assert "opening hours" in refused.json()["detail"]
    policy = await client.get(
        f"{API}/instruments/{demo.instrument.id}/booking-policy", headers=buyer
    )
    assert [h["weekday"] for h in policy.json()["opening_hours"]] == [0, 1, 2, 3, 4]


async def test_booking_policy_hours_are_written_to_the_record_and_audited(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    manager = await login("manager@zjim.demo")
    hours = [
        {"weekday": 5, "opens": "09:00:00", "closes": "12:00:00"},
        {"weekday": 6, "opens": "20:00:00", "closes": "00:00:00"},  # until midnight
    ]
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/booking-policy",
        json={"lead_time_minutes": 0, "opening_hours": hours},
        headers=manager,
    )
    assert r.status_code == 200, r.text
    assert r.json()["opening_hours"] == hours
    record = await client.get(f"{API}/instruments/{demo.instrument.id}/record", headers=manager)
    assert record.json()["opening_hours"] == {
        "sat": [["09:00", "12:00"]],
        "sun": [["20:00", "24:00"]],
    }
    audit = await client.get(
        f"{API}/audit",
        params={"entity": "instrument", "entity_id": str(demo.instrument.id)},
        headers=manager,
    )
    assert audit.status_code == 200, audit.text
    assert any(
        (entry.get("after") or {}).get("opening_hours") == record.json()["opening_hours"]
        for entry in audit.json()
    )

    # Leaving the hours out keeps them; Sunday's evening runs to midnight.
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/booking-policy",
        json={"lead_time_minutes": 0},
        headers=manager,
    )
    assert r.json()["opening_hours"] == hours
    sunday = _next(6)
    booked = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, day_at(sunday, 22), 2),
        headers=await login("staff@zjim.demo"),
    )
    assert booked.status_code == 201, booked.text


def test_revision_0006_moves_booking_hours_into_the_record(pg_cluster: PostgresCluster) -> None:
    name = pg_cluster.create_database()
    config = alembic_config(pg_cluster.url(name))
    try:
        command.upgrade(config, "0002_registry")
        command.upgrade(config, "0004_booking")
        with psycopg.connect(pg_cluster.url(name, driver="postgresql")) as conn:
            org = conn.execute(
                "INSERT INTO organisation (kind, name) VALUES ('institution', 'i') RETURNING id"
            ).fetchone()
            assert org is not None
            lab = conn.execute(
                "INSERT INTO lab (organisation_id, name) VALUES (%s, 'l') RETURNING id", org
            ).fetchone()
            assert lab is not None
            only_booking, only_record, both = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            for instrument, record in (
                (only_booking, None),
                (only_record, Jsonb(WEEKDAYS)),
                (both, Jsonb(WEEKDAYS)),
            ):
                conn.execute(
                    "INSERT INTO instrument (id, lab_id, organisation_id, name, is_open, "
                    "opening_hours) VALUES (%s, %s, %s, 'x', true, %s)",
                    (instrument, lab[0], org[0], record),
                )
            for instrument, weekday, opens, closes in (
                (only_booking, 0, "13:00", "17:30"),
                (only_booking, 0, "08:30", "12:00"),
                (only_booking, 6, "10:00", "24:00"),
                (both, 5, "09:00", "12:00"),
            ):
                conn.execute(
                    "INSERT INTO opening_hours (instrument_id, weekday, opens, closes) "
                    "VALUES (%s, %s, %s, %s)",
                    (instrument, weekday, opens, closes),
                )

        command.upgrade(config, "0006_booking_opening_hours")
        with psycopg.connect(pg_cluster.url(name, driver="postgresql")) as conn:
            records = dict(conn.execute("SELECT id, opening_hours FROM instrument").fetchall())
            audit = conn.execute(
                "SELECT entity_id, action, before, after FROM audit_log ORDER BY entity_id"
            ).fetchall()
            table = conn.execute("SELECT to_regclass('public.opening_hours')").fetchone()
        assert records[only_booking] == {
            "mon": [["08:30", "12:00"], ["13:00", "17:30"]],
            "sun": [["10:00", "24:00"]],
        }
        assert records[only_record] == WEEKDAYS
        # The rows bookings were checked against win; the record's former hours are audited.
        assert records[both] == {"sat": [["09:00", "12:00"]]}
        assert (
            str(both),
            "merge_opening_hours",
            {"opening_hours": WEEKDAYS},
            {"opening_hours": records[both]},
        ) in audit
        assert {entry[0] for entry in audit} == {str(both), str(only_booking)}
        assert table == (None,)

        command.downgrade(config, "0004_booking")
        with psycopg.connect(pg_cluster.url(name, driver="postgresql")) as conn:
            rows = conn.execute(
                "SELECT instrument_id, weekday, to_char(opens, 'HH24:MI'), "
                "to_char(closes, 'HH24:MI') FROM opening_hours ORDER BY 1, 2, 3"
            ).fetchall()
        assert sorted(r for r in rows if r[0] == only_booking) == [
            (only_booking, 0, "08:30", "12:00"),
            (only_booking, 0, "13:00", "17:30"),
            (only_booking, 6, "10:00", "24:00"),
        ]
        assert len([r for r in rows if r[0] == only_record]) == 5
    finally:
        pg_cluster.drop_database(name)
