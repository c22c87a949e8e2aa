"""Initial schema: tenancy, catalogue, gateways, telemetry, dead letters, sequence gaps.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _try_create_extension(name: str) -> bool:
    """Create an extension if the server has it; a failure must not abort the migration."""
    bind = op.get_bind()
    try:
        # A failed statement poisons the whole transaction unless it ran in a savepoint.
        with bind.begin_nested():
            bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {name}")
    except DBAPIError:
        return False
    return True


def _timescaledb_loadable() -> bool:
    # Without the preload the extension's library terminates the backend when it is created,
    # which no savepoint can catch: check first.
    bind = op.get_bind()
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).scalar()
    preload = bind.exec_driver_sql("SELECT current_setting('shared_preload_libraries')").scalar()
    return bool(available) and "timescaledb" in str(preload or "")


def _uuid_pk() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    # Booking overlap will be an EXCLUDE constraint over (instrument_id =, tstzrange &&).
    _try_create_extension("btree_gist")
    timescaledb = _timescaledb_loadable() and _try_create_extension("timescaledb")

    op.create_table(
        "organisation",
        _uuid_pk(),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("city", sa.Text()),
        _created_at(),
        sa.CheckConstraint(
            "kind IN ('institution', 'enterprise', 'platform')", name="organisation_kind_check"
        ),
    )
    op.create_table(
        "app_user",
        _uuid_pk(),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False, unique=True),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _created_at(),
        sa.CheckConstraint(
            "role IN ('enterprise_member', 'enterprise_admin', 'lab_staff', 'lab_manager', "
            "'platform_admin')",
            name="app_user_role_check",
        ),
        sa.CheckConstraint("email = lower(email)", name="app_user_email_lowercase_check"),
    )
    op.create_index("ix_app_user_organisation_id", "app_user", ["organisation_id"])

    op.create_table(
        "lab",
        _uuid_pk(),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
    )
    op.create_index("ix_lab_organisation_id", "lab", ["organisation_id"])

    op.create_table(
        "instrument",
        _uuid_pk(),
        sa.Column("lab_id", sa.Uuid(), sa.ForeignKey("lab.id"), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("model", sa.Text()),
        sa.Column("manufacturer", sa.Text()),
        sa.Column("serial_number", sa.Text()),
        sa.Column("location", sa.Text()),
        sa.Column("is_open", sa.Boolean(), nullable=False, server_default=sa.false()),
        _created_at(),
    )
    op.create_index("ix_instrument_lab_id", "instrument", ["lab_id"])
    op.create_index("ix_instrument_organisation_id", "instrument", ["organisation_id"])

    op.create_table(
        "gateway",
        _uuid_pk(),
        sa.Column("key", sa.Text(), nullable=False, unique=True),
        sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("mqtt_password_hash", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False, server_default="unknown"),
        sa.Column("last_seen_at", sa.DateTime(timezone=True)),
        sa.Column("config_hash", sa.Text()),
        sa.Column("last_seq", sa.BigInteger()),
        sa.CheckConstraint(
            "status IN ('unknown', 'online', 'offline')", name="gateway_status_check"
        ),
        # Same pattern as mqtt_contract.v1.KEY_PATTERN: the key is a topic level and a username.
        sa.CheckConstraint(
            "key ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'", name="gateway_key_pattern_check"
        ),
    )
    op.create_index("ix_gateway_organisation_id", "gateway", ["organisation_id"])

    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), sa.Identity(always=True), primary_key=True),
        sa.Column("instrument_id", sa.Uuid(), sa.ForeignKey("instrument.id"), nullable=False),
        sa.Column("gateway_id", sa.Uuid(), sa.ForeignKey("gateway.id"), nullable=False),
        sa.Column("device_key", sa.Text(), nullable=False),
        sa.Column("point_key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("canonical_unit", sa.Text(), nullable=False),
        sa.Column("normal_min", sa.Double()),
        sa.Column("normal_max", sa.Double()),
        sa.UniqueConstraint(
            "gateway_id", "device_key", "point_key", name="channel_gateway_point_key"
        ),
    )
    op.create_index("ix_channel_instrument_id", "channel", ["instrument_id"])

    # No foreign key to channel: the ingest path writes with binary COPY at hundreds of
    # thousands of rows per second and resolves channel ids itself; channels are never deleted.
    op.create_table(
        "telemetry",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Double()),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger()),
        sa.UniqueConstraint("channel_id", "ts", name="telemetry_channel_ts_key"),
    )
    if timescaledb:
        op.execute(
            "SELECT create_hypertable('telemetry', 'ts', chunk_time_interval => interval '1 day')"
        )

    op.create_table(
        "dead_letter",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("gateway_key", sa.Text()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary()),
    )
    op.create_table(
        "gateway_seq_gap",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("gateway_id", sa.Uuid(), sa.ForeignKey("gateway.id"), nullable=False),
        sa.Column("first_missing", sa.BigInteger(), nullable=False),
        sa.Column("last_missing", sa.BigInteger(), nullable=False),
        sa.Column(
            "detected_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_gateway_seq_gap_gateway_id", "gateway_seq_gap", ["gateway_id"])


def downgrade() -> None:
    for table in (
        "gateway_seq_gap",
        "dead_letter",
        "telemetry",
        "channel",
        "gateway",
        "instrument",
        "lab",
        "app_user",
        "organisation",
    ):
        op.drop_table(table)
