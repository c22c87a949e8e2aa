"""The demo's instruments come with their change history, as instruments registered by hand do."""

from __future__ import annotations

import psycopg
import pytest
from pydantic import SecretStr

from server.core.config import Environment, Settings
from server.demo.seed import run_seed_demo

pytestmark = pytest.mark.integration


def test_the_demo_chamber_history_shows_its_creation_and_the_managers_record(
    database_url: str, database_conninfo: str
) -> None:
    settings = Settings(
        environment=Environment.TEST,
        secret_key=SecretStr("x" * 48),
        database_url=database_url,
        demo_gateway_secret=SecretStr("demo-gateway-secret"),
    )
    seed = run_seed_demo(settings, catalogue=True)
    run_seed_demo(settings, catalogue=True)  # a second run changes nothing, so writes no entry
    with psycopg.connect(database_conninfo) as conn:
        entries = conn.execute(
            "SELECT a.action, u.full_name, a.after->>'manufacturer'"
            " FROM audit_log a LEFT JOIN app_user u ON u.id = a.actor_id"
            " WHERE a.entity = 'instrument' AND a.entity_id = %s ORDER BY a.id",
            (str(seed.instrument.id),),
        ).fetchall()
        catalogue = conn.execute(
            "SELECT count(*) FROM instrument i WHERE NOT EXISTS (SELECT 1 FROM audit_log a"
            " WHERE a.entity = 'instrument' AND a.entity_id = i.id::text AND a.action = 'create')"
        ).fetchone()
    assert entries == [("create", None, None), ("update", "王建国", "重庆四达")]
    assert catalogue == (0,)
