"""The initial migration builds exactly the agreed schema, with TimescaleDB when available."""

from __future__ import annotations

import psycopg
import pytest
from alembic.script import ScriptDirectory

from server.core.migrations import alembic_config, upgrade
from tests.harness import PostgresCluster

pytestmark = pytest.mark.integration

EXPECTED_TABLES = {
    "organisation",
    "app_user",
    "lab",
    "instrument",
    "gateway",
    "channel",
    "telemetry",
    "dead_letter",
    "gateway_seq_gap",
    "alembic_version",
}


def test_schema_tables_and_extensions(database_conninfo: str) -> None:
    with psycopg.connect(database_conninfo) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
        extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
        hypertables = {
            r[0]
            for r in conn.execute("SELECT hypertable_name FROM timescaledb_information.hypertables")
        }
        identity = conn.execute(
            "SELECT identity_generation FROM information_schema.columns "
            "WHERE table_name = 'channel' AND column_name = 'id'"
        ).fetchone()
    # Later revisions (other domains) add their own tables next to these.
    assert tables >= EXPECTED_TABLES
    assert {"btree_gist", "timescaledb"} <= extensions
    assert hypertables == {"telemetry"}
    assert identity == ("ALWAYS",)


def test_telemetry_is_unique_per_channel_and_timestamp(database_conninfo: str) -> None:
    with psycopg.connect(database_conninfo) as conn:
        conn.execute(
            "INSERT INTO telemetry (channel_id, ts, value, quality, seq) "
            "VALUES (1, '2026-11-27T00:00:00Z', 1.5, 0, 1)"
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO telemetry (channel_id, ts, value, quality, seq) "
                "VALUES (1, '2026-11-27T00:00:00Z', 2.5, 0, 2)"
            )


def test_check_constraints_reject_unknown_kinds(database_conninfo: str) -> None:
    with psycopg.connect(database_conninfo) as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO organisation (kind, name) VALUES ('bank', 'x')")
        conn.rollback()
        org = conn.execute(
            "INSERT INTO organisation (kind, name) VALUES ('institution', 'x') RETURNING id"
        ).fetchone()
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO gateway (key, organisation_id, name, secret_hash) "
                "VALUES ('bad/key', %s, 'g', 'h')",
                org,
            )


def test_plain_table_without_timescaledb() -> None:
    # A server without the timescaledb preload: creating the extension would kill the
    # connection, so the migration must detect that and build a plain table instead.
    cluster = PostgresCluster(timescaledb=False)
    cluster.start()
    try:
        name = cluster.create_database()
        upgrade(cluster.url(name))
        upgrade(cluster.url(name))  # a second run is a no-op
        with psycopg.connect(cluster.url(name, driver="postgresql")) as conn:
            extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
            versions = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
            conn.execute(
                "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (1, now(), 1.0, 0)"
            )
        assert "timescaledb" not in extensions
        assert "btree_gist" in extensions
        assert versions == set(ScriptDirectory.from_config(alembic_config("")).get_heads())
    finally:
        cluster.destroy()


def _only_initial_tables(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # Other domains' revisions add tables and columns these models do not declare, and
    # TimescaleDB adds indexes: what the models declare must exist, with the same types.
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    if table not in EXPECTED_TABLES:
        return False
    return not (type_ in ("index", "column") and reflected and compare_to is None)


def test_models_match_the_migrated_schema(database_url: str) -> None:
    # What autogenerate would write next: nothing, or the models and migrations disagree.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    from server.models import metadata

    engine = create_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": _only_initial_tables,
                },
            )
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
