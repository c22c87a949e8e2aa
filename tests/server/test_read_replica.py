"""Reads on a real PostgreSQL streaming replica: routing, lag, and a replica that goes away.

The primary and its standby are private clusters of this module (PostgreSQL's own physical
replication, started by ``pg_basebackup -R``); the app gets ``LABSHARE_DATABASE_READ_URL``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from server.core.config import Environment, Settings
from server.core.migrations import upgrade
from tests.harness.app import API, Login
from tests.harness.factories import World
from tests.harness.ports import free_port
from tests.harness.postgres import PostgresCluster, StandbyCluster, memory_root

DATABASE = "labshare"
MAX_LAG_S = 5.0


@pytest.fixture(scope="module")
def primary() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(root=memory_root())
    cluster.start()
    cluster.create_database(name=DATABASE)
    upgrade(cluster.url(DATABASE))
    yield cluster
    cluster.destroy()


@pytest.fixture
def standby(primary: PostgresCluster) -> Iterator[StandbyCluster]:
    cluster = StandbyCluster(root=memory_root(), primary=primary)
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def database_url(primary: PostgresCluster) -> Iterator[str]:
    # Each test starts from an empty migrated database on the module's primary.
    name = primary.create_database(template=DATABASE)
    yield primary.url(name)
    primary.drop_database(name)


@pytest.fixture
def settings(database_url: str, standby: StandbyCluster, tmp_path: Path) -> Settings:
    standby.wait_replayed()  # the standby has this test's database
    return Settings(
        environment=Environment.TEST,
        secret_key=SecretStr(secrets.token_urlsafe(48)),
        database_url=database_url,
        database_read_url=standby.url(database_url.rsplit("/", 1)[1]),
        database_read_max_lag_s=MAX_LAG_S,
        mqtt_port=free_port(),
        ingest_enabled=False,
        web_dist=tmp_path / "no-dist",
        readiness_timeout_s=1.0,
    )


async def _reads(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    return {
        target: float(value)
        for target, value in re.findall(
            r'^labshare_db_reads_total\{target="(\w+)"\} (\S+)$', text, re.MULTILINE
        )
    }


async def _catalogue_names(client: httpx.AsyncClient, q: str) -> list[str]:
    response = await client.get(f"{API}/catalogue/instruments", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["name_en"] for item in response.json()["items"]]


async def _served_by(client: httpx.AsyncClient, q: str) -> tuple[list[str], str]:
    before = await _reads(client)
    names = await _catalogue_names(client, q)
    after = await _reads(client)
    moved = [t for t in ("replica", "primary") if after.get(t, 0) > before.get(t, 0)]
    assert len(moved) == 1, (before, after)
    return names, moved[0]


async def test_catalogue_reads_follow_the_replica_and_fall_back_while_it_lags(
    client: httpx.AsyncClient,
    login: Login,
    demo: World,
    standby: StandbyCluster,
    primary: PostgresCluster,
) -> None:
    manager = await login("manager@zjim.demo")
    await asyncio.to_thread(standby.wait_replayed)
    names, served = await _served_by(client, "Temperature chamber")
    assert served == "replica"
    assert names == ["Temperature chamber"]

    # A fresh commit replayed, then the standby stops replaying: it falls behind from now on.
    await asyncio.to_thread(standby.wait_replayed)
    await asyncio.to_thread(standby.pause_replay)
    renamed = await client.patch(
        f"{API}/instruments/{demo.instrument.id}",
        json={"name_en": "Climate chamber"},
        headers=manager,
    )
    assert renamed.status_code == 200, renamed.text
    paused_at = time.monotonic()

    # The editor's own view is on the primary and shows the change at once ...
    detail = await client.get(f"{API}/instruments/{demo.instrument.id}", headers=manager)
    assert detail.json()["name_en"] == "Climate chamber"
    # ... while the catalogue, within the lag allowed, still answers from the replica.
    names, served = await _served_by(client, "Climate chamber")
    if time.monotonic() - paused_at < MAX_LAG_S - 1:  # a very slow machine skips this check
        assert (served, names) == ("replica", [])

    # Past the allowed lag the catalogue reads the primary and finds the new name.
    await asyncio.sleep(max(0.0, MAX_LAG_S + 1.2 - (time.monotonic() - paused_at)))
    names, served = await _served_by(client, "Climate chamber")
    assert (served, names) == ("primary", ["Climate chamber"])

    # Caught up again, the replica serves the reads, with the change.
    await asyncio.to_thread(standby.resume_replay)
    await asyncio.to_thread(standby.wait_replayed)
    await asyncio.sleep(1.1)  # the next lag check
    names, served = await _served_by(client, "Climate chamber")
    assert (served, names) == ("replica", ["Climate chamber"])
    lag = re.search(
        r"^labshare_db_replica_lag_seconds (\S+)$",
        (await client.get("/metrics")).text,
        re.MULTILINE,
    )
    assert lag is not None
    assert float(lag.group(1)) < MAX_LAG_S


async def test_evaluation_reads_the_replica_only_once_it_shows_the_refreshed_days(
    client: httpx.AsyncClient, login: Login, demo: World, standby: StandbyCluster
) -> None:
    admin = await login("admin@platform.demo")
    manager = await login("manager@zjim.demo")
    await asyncio.to_thread(standby.wait_replayed)
    before = await _reads(client)
    ok = await client.get(f"{API}/evaluation/metrics", params={"year": 2026}, headers=admin)
    assert ok.status_code == 200, ok.text
    assert (await _reads(client)).get("replica", 0) > before.get("replica", 0)

    # Replay paused and a change committed on the primary: the replica has not replayed up to
    # the primary's position after the refresh, so the metrics are read on the primary instead
    # of answering from before it.
    await asyncio.to_thread(standby.pause_replay)
    changed = await client.patch(
        f"{API}/instruments/{demo.instrument.id}", json={"location": "B-102"}, headers=manager
    )
    assert changed.status_code == 200, changed.text
    before = await _reads(client)
    paused = await client.get(f"{API}/evaluation/metrics", params={"year": 2026}, headers=admin)
    assert paused.status_code == 200, paused.text
    after = await _reads(client)
    replay = await asyncio.to_thread(
        standby.psql, "SELECT pg_last_wal_replay_lsn() || ' ' || pg_get_wal_replay_pause_state()"
    )
    assert after.get("primary", 0) > before.get("primary", 0), (
        f"reads before {before}, after {after}; standby replayed to / state: {replay}"
    )
    assert [r["key"] for r in paused.json()["rows"]] == [r["key"] for r in ok.json()["rows"]]
    await asyncio.to_thread(standby.resume_replay)


async def test_a_replica_that_goes_away_costs_nothing_but_its_reads(
    client: httpx.AsyncClient, login: Login, demo: World, standby: StandbyCluster
) -> None:
    manager = await login("manager@zjim.demo")
    await asyncio.to_thread(standby.stop)
    await asyncio.sleep(1.1)  # the next lag check finds it gone
    names, served = await _served_by(client, "Temperature chamber")
    assert (served, names) == ("primary", ["Temperature chamber"])
    # Writes never needed it.
    renamed = await client.patch(
        f"{API}/instruments/{demo.instrument.id}", json={"location": "B-101"}, headers=manager
    )
    assert renamed.status_code == 200, renamed.text
