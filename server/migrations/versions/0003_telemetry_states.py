"""Instrument states, one-minute rollups, retention classes, gateway heartbeats and documents.

Revision ID: 0003_telemetry_states
Revises: 0001_initial
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

revision: str = "0003_telemetry_states"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "('off', 'idle', 'running', 'fault', 'offline')"


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "instrument_state_rule",
        sa.Column(
            "instrument_id",
            sa.Uuid(),
            sa.ForeignKey("instrument.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rule", JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        # The evaluator's memory between runs: how far it has read and what it was debouncing.
        sa.Column("evaluated_until", sa.DateTime(timezone=True)),
        sa.Column("last_sample_at", sa.DateTime(timezone=True)),
        sa.Column("signal_state", sa.Text()),
        sa.Column("pending_state", sa.Text()),
        sa.Column("pending_since", sa.DateTime(timezone=True)),
        sa.Column("last_values", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_table(
        "instrument_state_interval",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column(
            "instrument_id",
            sa.Uuid(),
            sa.ForeignKey("instrument.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"state IN {STATES}", name="instrument_state_interval_state_check"),
        sa.CheckConstraint(
            "end_at IS NULL OR end_at > start_at", name="instrument_state_interval_order"
        ),
    )
    op.create_index(
        "ix_instrument_state_interval_instrument_start",
        "instrument_state_interval",
        ["instrument_id", "start_at"],
    )
    # At most one current interval per instrument, with or without btree_gist.
    op.create_index(
        "ux_instrument_state_interval_current",
        "instrument_state_interval",
        ["instrument_id"],
        unique=True,
        postgresql_where=sa.text("end_at IS NULL"),
    )
    bind = op.get_bind()
    has_btree_gist = bind.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'"
    ).scalar()
    if has_btree_gist:
        try:
            with bind.begin_nested():
                bind.exec_driver_sql(
                    "ALTER TABLE instrument_state_interval"
                    " ADD CONSTRAINT instrument_state_interval_no_overlap EXCLUDE USING gist"
                    " (instrument_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)"
                )
        except DBAPIError:
            pass  # the unique current-interval index and the evaluator still keep order

    op.create_table(
        "telemetry_rollup_1m",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_value", sa.Double()),
        sa.Column("max_value", sa.Double()),
        sa.Column("mean_value", sa.Double()),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "bucket", name="telemetry_rollup_1m_pkey"),
    )
    op.create_table(
        "telemetry_rollup_cursor",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("rolled_until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "telemetry_retention_class",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("raw_days", sa.Integer(), nullable=False),
        sa.Column("rollup_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("raw_days > 0 AND rollup_days >= raw_days", name="retention_days"),
    )
    op.execute(
        "INSERT INTO telemetry_retention_class (name, raw_days, rollup_days)"
        " VALUES ('standard', 365, 3650), ('diagnostic', 30, 365)"
    )
    op.create_table(
        "channel_retention",
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey("channel.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "class_name",
            sa.Text(),
            sa.ForeignKey("telemetry_retention_class.name"),
            nullable=False,
        ),
    )

    op.create_table(
        "gateway_heartbeat",
        sa.Column(
            "gateway_id",
            sa.Uuid(),
            sa.ForeignKey("gateway.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spool_depth", sa.BigInteger(), nullable=False),
        sa.Column("spool_dropped_total", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("devices", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.create_table(
        "gateway_document",
        sa.Column(
            "gateway_id",
            sa.Uuid(),
            sa.ForeignKey("gateway.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("app_user.id")),
        sa.PrimaryKeyConstraint("gateway_id", "kind", name="gateway_document_pkey"),
        sa.CheckConstraint("kind IN ('config', 'calibration')", name="gateway_document_kind"),
    )


def downgrade() -> None:
    for table in (
        "gateway_document",
        "gateway_heartbeat",
        "channel_retention",
        "telemetry_retention_class",
        "telemetry_rollup_cursor",
        "telemetry_rollup_1m",
        "instrument_state_interval",
        "instrument_state_rule",
    ):
        op.drop_table(table)
