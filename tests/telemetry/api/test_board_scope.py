"""The lab board and the lab's live stream read only that lab's instruments from the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from tests.harness.app import API, Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration


@contextmanager
def instrument_rows_read(app: FastAPI) -> Iterator[list[int]]:
    """How many instrument rows the app's queries returned while the block ran."""
    rows: list[int] = []
    sync_engine = app.state.engine.sync_engine

    def after(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM instrument" in statement and cursor.rowcount is not None:
            rows.append(max(cursor.rowcount, 0))

    event.listen(sync_engine, "after_cursor_execute", after)
    try:
        yield rows
    finally:
        event.remove(sync_engine, "after_cursor_execute", after)


async def test_the_lab_board_does_not_load_other_labs_instruments(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    # Five hundred instruments in another lab of another institution.
    async with app.state.sessionmaker() as session, session.begin():
        conn = await session.connection()
        await conn.execute(
            text(
                "INSERT INTO organisation (id, kind, name) "
                "VALUES (gen_random_uuid(), 'institution', '别的研究院')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO lab (id, organisation_id, name) SELECT gen_random_uuid(), id, '别的实验室' "
                "FROM organisation WHERE name = '别的研究院'"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO instrument (id, organisation_id, lab_id, name) "
                "SELECT gen_random_uuid(), l.organisation_id, l.id, '仪器 ' || n "
                "FROM lab l, generate_series(1, 500) n WHERE l.name = '别的实验室'"
            )
        )
    manager = await login("manager@zjim.demo")
    with instrument_rows_read(app) as rows:
        r = await client.get(f"{API}/labs/{demo.lab.id}/board", headers=manager)
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["instruments"]] == [str(demo.instrument.id)]
    assert max(rows, default=0) < 500, f"the board read {max(rows)} instrument rows"
