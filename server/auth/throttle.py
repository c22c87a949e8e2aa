"""Failed log-ins limited per account and per client address, with exponential lock-outs.

The counts live in the ``login_throttle`` table, so every API process (and every host behind a
load balancer) shares them; the database's clock is the only clock used. Each attempt:

1. ``begin_attempt`` locks the account's and the address's rows (``SELECT ... FOR UPDATE``, in
   a fixed order) and refuses while either is locked out. Otherwise it counts the attempt as a
   failure *before* the password is checked and commits, so a burst of parallel guesses cannot
   all slip through before the first one is counted: once a row holds ``max_failures`` within
   its window, the next attempt locks it out.
2. ``finish_attempt`` then either takes the pending failure back (correct password: the
   account's row is cleared, the address's count lowered by one) or, if the count reached the
   limit, locks the row out for ``base_lockout * 2**(lockouts - 1)`` (capped at
   ``max_lockout``).

While locked out, every attempt is refused with ``TooManyLoginAttempts`` (429, problem code
``login_throttled``, ``retry_after_s``), the correct password included, and the password is not
even checked. The lock-out count is forgotten after a day without failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.core.errors import AppError

__all__ = [
    "ACCOUNT",
    "ADDRESS",
    "DEFAULT_POLICY",
    "LOGIN_THROTTLED_CODE",
    "LoginAttempt",
    "LoginThrottlePolicy",
    "ThrottleRule",
    "TooManyLoginAttempts",
    "begin_attempt",
    "finish_attempt",
]

LOGIN_THROTTLED_CODE = "login_throttled"
ACCOUNT = "account"
ADDRESS = "address"
# Longer keys (a pasted novel as the user name) are cut: they only need to be told apart.
_MAX_KEY_LENGTH = 320
_FORGET_LOCKOUTS_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    max_failures: int
    window: timedelta
    base_lockout: timedelta
    max_lockout: timedelta

    def lockout(self, lockouts: int) -> timedelta:
        """Length of the ``lockouts``-th lock-out in a row (1-based): doubling, capped."""
        seconds = self.base_lockout.total_seconds() * 2 ** min(max(lockouts - 1, 0), 30)
        return timedelta(seconds=min(seconds, self.max_lockout.total_seconds()))


@dataclass(frozen=True, slots=True)
class LoginThrottlePolicy:
    account: ThrottleRule
    address: ThrottleRule

    def rule(self, scope: str) -> ThrottleRule:
        return self.account if scope == ACCOUNT else self.address


DEFAULT_POLICY = LoginThrottlePolicy(
    # 5 wrong passwords for one account within 15 minutes: 1 min, then 2, 4, ... up to 1 h.
    account=ThrottleRule(5, timedelta(minutes=15), timedelta(minutes=1), timedelta(hours=1)),
    # One address may try more (an office behind one NAT), but not spray many accounts.
    address=ThrottleRule(20, timedelta(minutes=15), timedelta(minutes=1), timedelta(hours=1)),
)


class TooManyLoginAttempts(AppError):
    status = 429
    slug = "too-many-login-attempts"
    title = "Too many log-in attempts"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, math.ceil(retry_after.total_seconds()))
        super().__init__(
            f"Too many failed log-ins; try again in {seconds} s",
            headers={"Retry-After": str(seconds), "Cache-Control": "no-store"},
            extensions={"code": LOGIN_THROTTLED_CODE, "retry_after_s": seconds},
        )
        self.retry_after_s = seconds


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """The rows an attempt counted against, for ``finish_attempt``."""

    account_key: str
    address_key: str


@dataclass(slots=True)
class _Row:
    scope: str
    key: str
    failures: int
    window_start: datetime
    lockouts: int
    locked_until: datetime | None
    updated_at: datetime


def _keys(attempt: LoginAttempt) -> list[tuple[str, str]]:
    # "account" < "address": every transaction locks the two rows in the same order.
    return [(ACCOUNT, attempt.account_key), (ADDRESS, attempt.address_key)]


async def _lock_rows(conn: AsyncConnection, attempt: LoginAttempt) -> tuple[datetime, list[_Row]]:
    params: dict[str, Any] = {
        "s1": ACCOUNT,
        "k1": attempt.account_key,
        "s2": ADDRESS,
        "k2": attempt.address_key,
    }
    await conn.execute(
        text(
            "INSERT INTO login_throttle (scope, key) VALUES (:s1, :k1), (:s2, :k2) "
            "ON CONFLICT (scope, key) DO NOTHING"
        ),
        params,
    )
    result = await conn.execute(
        text(
            "SELECT scope, key, failures, window_start, lockouts, locked_until, updated_at "
            "FROM login_throttle WHERE (scope = :s1 AND key = :k1) OR (scope = :s2 AND key = :k2) "
            "ORDER BY scope, key FOR UPDATE"
        ),
        params,
    )
    rows = [_Row(**row._mapping) for row in result]
    now = (await conn.execute(text("SELECT statement_timestamp()"))).scalar_one()
    return now, rows


async def _save(conn: AsyncConnection, row: _Row, now: datetime) -> None:
    await conn.execute(
        text(
            "UPDATE login_throttle SET failures = :failures, window_start = :window_start, "
            "lockouts = :lockouts, locked_until = :locked_until, updated_at = :now "
            "WHERE scope = :scope AND key = :key"
        ),
        {
            "failures": row.failures,
            "window_start": row.window_start,
            "lockouts": row.lockouts,
            "locked_until": row.locked_until,
            "now": now,
            "scope": row.scope,
            "key": row.key,
        },
    )


def _age(row: _Row, rule: ThrottleRule, now: datetime) -> None:
    """Forget what lies behind the window (failures) or a day back (lock-outs)."""
    if row.updated_at < now - _FORGET_LOCKOUTS_AFTER and (
        row.locked_until is None or row.locked_until < now - _FORGET_LOCKOUTS_AFTER
    ):
        row.lockouts = 0
    if row.window_start < now - rule.window:
        row.failures = 0
        row.window_start = now


def _lock_out(row: _Row, rule: ThrottleRule, now: datetime) -> None:
    row.lockouts += 1
    row.locked_until = now + rule.lockout(row.lockouts)
    row.failures = 0
    row.window_start = now


def attempt_for(email: str, address: str | None) -> LoginAttempt:
    return LoginAttempt(
        account_key=email.strip().lower()[:_MAX_KEY_LENGTH],
        address_key=(address or "unknown")[:_MAX_KEY_LENGTH],
    )


async def begin_attempt(
    engine: AsyncEngine, policy: LoginThrottlePolicy, email: str, address: str | None
) -> LoginAttempt:
    """Count an attempt before the password is checked; ``TooManyLoginAttempts`` if locked."""
    attempt = attempt_for(email, address)
    async with engine.begin() as conn:
        now, rows = await _lock_rows(conn, attempt)
        waits: list[timedelta] = []
        for row in rows:
            rule = policy.rule(row.scope)
            _age(row, rule, now)
            if row.locked_until is not None and row.locked_until > now:
                waits.append(row.locked_until - now)
            elif row.failures >= rule.max_failures:
                # Parallel attempts used up the allowance before any of them finished.
                _lock_out(row, rule, now)
                assert row.locked_until is not None
                waits.append(row.locked_until - now)
        if not waits:
            for row in rows:
                row.failures += 1
        for row in rows:
            await _save(conn, row, now)
    if waits:
        raise TooManyLoginAttempts(max(waits))
    return attempt


async def finish_attempt(
    engine: AsyncEngine, policy: LoginThrottlePolicy, attempt: LoginAttempt, *, succeeded: bool
) -> None:
    """Settle the counted attempt; ``TooManyLoginAttempts`` when this failure used the last try."""
    async with engine.begin() as conn:
        now, rows = await _lock_rows(conn, attempt)
        waits: list[timedelta] = []
        for row in rows:
            rule = policy.rule(row.scope)
            if succeeded:
                if row.scope == ACCOUNT:
                    row.failures, row.lockouts, row.locked_until = 0, 0, None
                else:
                    row.failures = max(row.failures - 1, 0)
            else:
                locked = row.locked_until is not None and row.locked_until > now
                if not locked and row.failures >= rule.max_failures:
                    _lock_out(row, rule, now)
                    assert row.locked_until is not None
                    waits.append(row.locked_until - now)
            await _save(conn, row, now)
    if waits:
        raise TooManyLoginAttempts(max(waits))
