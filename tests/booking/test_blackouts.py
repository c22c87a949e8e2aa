"""Lab staff list, add and remove an instrument's blackouts; the catalogue follows at once."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.app import API, Login, certify
from tests.harness.booking import day_at
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_a_blackout_is_listed_closes_the_days_and_reopens_them_when_removed(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    await certify(app, demo, valid_to_days=60)
    staff = await login("staff@zjim.demo")
    path = f"{API}/instruments/{demo.instrument.id}/blackouts"
    added = await client.post(
        path,
        json={
            "start_at": day_at(8, 0).isoformat(),
            "end_at": day_at(9, 0).isoformat(),
            "reason": "年度检修",
        },
        headers=staff,
    )
    assert added.status_code == 201, added.text
    blackout = added.json()
    listed = await client.get(path, headers=staff)
    assert [(b["id"], b["reason"]) for b in listed.json()] == [(blackout["id"], "年度检修")]

    buyer = await login("buyer@jingce.demo")
    window = {
        "instrument_id": str(demo.instrument.id),
        "start": day_at(8, 0).isoformat(),
        "end": day_at(9, 0).isoformat(),
    }

    async def reasons() -> set[str]:
        found = await client.get(f"{API}/availability", params=window, headers=buyer)
        return {u["reason"] for u in found.json()[0]["unavailable"]}

    assert "blackout" in await reasons()

    # Another institution's manager neither sees nor removes it; enterprises see no list.
    rival = await login("manager@zju.demo")
    assert (await client.get(path, headers=rival)).status_code == 404
    refused = await client.delete(f"{API}/blackouts/{blackout['id']}", headers=rival)
    assert refused.status_code == 404
    assert (await client.get(path, headers=buyer)).status_code in (403, 404)

    removed = await client.delete(f"{API}/blackouts/{blackout['id']}", headers=staff)
    assert removed.status_code == 204
    assert (await client.get(path, headers=staff)).json() == []
    assert "blackout" not in await reasons()
    again = await client.delete(f"{API}/blackouts/{blackout['id']}", headers=staff)
    assert again.status_code == 404

    # Both changes are in the instrument's history, with who made them.
    manager = await login("manager@zjim.demo")
    history = await client.get(
        f"{API}/audit", params={"instrument_id": str(demo.instrument.id)}, headers=manager
    )
    entries = [(e["entity"], e["action"], e["actor_name"]) for e in history.json()]
    assert entries[:2] == [("blackout", "delete", "李晓梅"), ("blackout", "create", "李晓梅")]
