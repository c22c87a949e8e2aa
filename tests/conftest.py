"""Session-wide real services and hygiene checks for the whole suite.

Fixtures
--------
``pg_cluster``      private PostgreSQL + TimescaleDB cluster (session); ``.stop()``, ``.kill()``,
                    ``.start()``, ``.restart()`` for fault tests.
``database_url``    a fresh database migrated to head, per test (SQLAlchemy URL, psycopg driver).
``database_conninfo``  the same database as a libpq URI for raw psycopg.
``mosquitto``       private Mosquitto broker (session) with ``.host``, ``.port``, ``.stop()``,
                    ``.kill()``, ``.start()``.
``mosquitto_factory``  starts extra brokers (for example with a password file and ACL).

The server fixtures every area shares (``settings``, ``app``, ``client``, ``demo``, ``login``,
``calibrated``, ``smtp_inbox``, ``served``) live in the plugin ``tests.harness.app``, loaded
below; helpers shared between test modules live in ``tests/harness/``, never in a test module or
a conftest.

Every test fails if it leaves threads or asyncio tasks running.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from server.core.security import set_password_hasher
from tests.harness import MosquittoBroker, PostgresCluster
from tests.harness.leaks import LeakReport, install_task_recorder
from tests.harness.postgres import memory_root

pytest_plugins = ["tests.harness.app"]

TEMPLATE_DB = "labshare_template"
_template_lock = threading.Lock()

install_task_recorder()
# Real argon2id, with the smallest parameters: every test logs in, and the production ones
# cost 0.1 s of CPU a verification (tests/auth/test_password_hashing.py checks those).
set_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(root=memory_root())
    cluster.start()
    yield cluster
    cluster.destroy()


def _ensure_running(cluster: PostgresCluster) -> None:
    # A fault test may have left the server stopped; later tests need it back.
    if not cluster.running:
        cluster.start()


@pytest.fixture(scope="session")
def migrated_template(pg_cluster: PostgresCluster) -> str:
    """A database migrated to head once; each test copies it (CREATE DATABASE ... TEMPLATE)."""
    from server.core.migrations import upgrade

    with _template_lock:
        pg_cluster.create_database(name=TEMPLATE_DB)
        upgrade(pg_cluster.url(TEMPLATE_DB))
    return TEMPLATE_DB


@pytest.fixture
def database_name(pg_cluster: PostgresCluster, migrated_template: str) -> Iterator[str]:
    _ensure_running(pg_cluster)
    name = pg_cluster.create_database(template=migrated_template)
    yield name
    _ensure_running(pg_cluster)
    pg_cluster.drop_database(name)


@pytest.fixture
def database_url(pg_cluster: PostgresCluster, database_name: str) -> str:
    return pg_cluster.url(database_name)


@pytest.fixture
def database_conninfo(pg_cluster: PostgresCluster, database_name: str) -> str:
    return pg_cluster.url(database_name, driver="postgresql")


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker()
    broker.start()
    yield broker
    broker.destroy()


@pytest.fixture(autouse=True)
def _clean_broker_after_use(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    # The next test gets a broker with no retained messages or sessions of this one, and
    # running again if a fault test stopped it.
    if "mosquitto" in request.fixturenames:
        broker: MosquittoBroker = request.getfixturevalue("mosquitto")
        broker.reset()


@pytest.fixture
def mosquitto_factory() -> Iterator[Callable[..., MosquittoBroker]]:
    started: list[MosquittoBroker] = []

    def start(**kwargs: Any) -> MosquittoBroker:
        broker = MosquittoBroker(**kwargs)
        broker.start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.destroy()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.stash[_leak_key] = LeakReport.start()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    report = item.stash.get(_leak_key, None)
    if report is None or os.environ.get("LABSHARE_TEST_NO_LEAK_CHECK"):
        return
    problems = report.finish()
    if problems:
        pytest.fail("test leaked:\n  " + "\n  ".join(problems), pytrace=False)


_leak_key = pytest.StashKey[LeakReport]()
