"""Passwords are stored as argon2id hashes with RFC 9106's parameters, and a hash made with
other parameters is upgraded when its user next logs in."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlmodel import select

from server.auth.models import AppUser
from tests.harness.app import API
from tests.harness.factories import PASSWORD, World


def test_a_server_process_hashes_with_rfc_9106_parameters(repo_root: str) -> None:
    # The suite itself hashes with small parameters (tests/conftest.py): ask a fresh process.
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from server.core.security import hash_password as h; print(h('x'))",
        ],
        cwd=repo_root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.integration
async def test_log_in_upgrades_a_hash_made_with_other_parameters(
    app: FastAPI, client: httpx.AsyncClient, demo: World
) -> None:
    email = "buyer@jingce.demo"
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=2).hash(PASSWORD)
    async with app.state.sessionmaker() as session, session.begin():
        user = (await session.exec(select(AppUser).where(AppUser.email == email))).one()
        user.password_hash = old

    response = await client.post(
        f"{API}/auth/token", data={"username": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text

    async with app.state.sessionmaker() as session:
        stored = (
            await session.exec(select(AppUser.password_hash).where(AppUser.email == email))
        ).one()
    assert stored != old
    assert stored.startswith("$argon2id$")
    assert "m=2048,t=2,p=2" not in stored
    # and the new hash still lets the user in
    again = await client.post(f"{API}/auth/token", data={"username": email, "password": PASSWORD})
    assert again.status_code == 200
