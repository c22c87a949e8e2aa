"""Failed log-ins are limited per account and per client address, across API processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.auth.throttle import DEFAULT_POLICY, LoginThrottlePolicy, ThrottleRule
from server.core.config import Settings
from tests.harness.factories import PASSWORD, World

pytestmark = pytest.mark.integration

TOKEN = "/api/v1/auth/token"
MANAGER = "manager@zjim.demo"
BUYER = "buyer@jingce.demo"


def _client(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://labshare.test")


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(TOKEN, data={"username": email, "password": password})


def _assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "login_throttled"
    assert body["status"] == 429
    retry = int(response.headers["Retry-After"])
    assert body["retry_after_s"] == retry
    assert "access_token" not in body
    return retry


async def test_sixty_wrong_passwords_then_the_right_one_is_refused(
    app: FastAPI, demo: World
) -> None:
    async with _client(app) as client:
        statuses = Counter(
            [(await _login(client, MANAGER, f"guess-{i}")).status_code for i in range(60)]
        )
        # Five tries are answered; the fifth failure starts a lock-out, the rest are refused
        # without the password being checked.
        assert statuses == {401: 4, 429: 56}
        right = await _login(client, MANAGER, PASSWORD)
        retry = _assert_throttled(right)
        assert 1 <= retry <= 60


async def test_a_parallel_burst_gets_no_more_than_the_allowance(app: FastAPI, demo: World) -> None:
    async with _client(app) as client:
        responses = await asyncio.gather(
            *(_login(client, MANAGER, f"burst-{i}") for i in range(40))
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses[401] + statuses[429] == 40
        assert statuses[401] <= DEFAULT_POLICY.account.max_failures
        _assert_throttled(await _login(client, MANAGER, PASSWORD))


async def test_lock_out_holds_across_api_processes(
    app: FastAPI, settings: Settings, demo: World
) -> None:
    # A second app with its own engine and connection pool: only the database is shared.
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        async with _client(app) as first:
            for i in range(5):
                await _login(first, MANAGER, f"wrong-{i}")
        async with _client(other) as second:
            _assert_throttled(await _login(second, MANAGER, PASSWORD))


async def test_lock_outs_double_and_expire(
    app: FastAPI, demo: World, database_conninfo: str
) -> None:
    def expire_lock() -> None:
        with psycopg.connect(database_conninfo) as conn:
            conn.execute(
                "UPDATE login_throttle SET locked_until = now() - interval '1 second' "
                "WHERE locked_until IS NOT NULL"
            )

    async with _client(app) as client:
        for i in range(5):
            last = await _login(client, MANAGER, f"first-round-{i}")
        assert _assert_throttled(last) == 60
        expire_lock()
        # The lock-out is over: the right password works again...
        assert (await _login(client, MANAGER, PASSWORD)).status_code == 200
        # ...and clears the account's record, so the next lock-out starts again at one minute.
        for i in range(5):
            last = await _login(client, MANAGER, f"second-round-{i}")
        assert _assert_throttled(last) == 60
        expire_lock()
        for i in range(5):
            last = await _login(client, MANAGER, f"third-round-{i}")
        # Without a success in between, each lock-out is twice as long.
        assert _assert_throttled(last) == 120


async def test_a_success_resets_the_account_count(app: FastAPI, demo: World) -> None:
    async with _client(app) as client:
        for i in range(4):
            assert (await _login(client, MANAGER, f"typo-{i}")).status_code == 401
        assert (await _login(client, MANAGER, PASSWORD)).status_code == 200
        for i in range(4):
            assert (await _login(client, MANAGER, f"typo-again-{i}")).status_code == 401
        assert (await _login(client, MANAGER, PASSWORD)).status_code == 200


async def test_one_address_spraying_many_accounts_is_stopped(app: FastAPI, demo: World) -> None:
    async with _client(app, "198.51.100.9") as sprayer:
        statuses = Counter(
            [
                (await _login(sprayer, f"user{i}@example.com", "password1")).status_code
                for i in range(30)
            ]
        )
        assert statuses == {401: 19, 429: 11}
        # Even a real account with its right password is refused from that address...
        _assert_throttled(await _login(sprayer, BUYER, PASSWORD))
    # ...while the account itself is not locked for everybody else.
    async with _client(app, "192.0.2.44") as elsewhere:
        assert (await _login(elsewhere, BUYER, PASSWORD)).status_code == 200


async def test_the_token_response_is_not_cached(app: FastAPI, demo: World) -> None:
    async with _client(app) as client:
        response = await _login(client, MANAGER, PASSWORD)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


@pytest.fixture
async def short_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    rule = ThrottleRule(2, timedelta(minutes=15), timedelta(seconds=1), timedelta(seconds=1))
    app.state.login_throttle_policy = LoginThrottlePolicy(account=rule, address=rule)
    async with app.router.lifespan_context(app):
        yield app


async def test_after_the_lock_out_ends_the_right_password_works(
    short_app: FastAPI, demo: World
) -> None:
    async with _client(short_app) as client:
        await _login(client, MANAGER, "wrong-1")
        _assert_throttled(await _login(client, MANAGER, "wrong-2"))
        _assert_throttled(await _login(client, MANAGER, PASSWORD))
        await asyncio.sleep(1.2)
        assert (await _login(client, MANAGER, PASSWORD)).status_code == 200
