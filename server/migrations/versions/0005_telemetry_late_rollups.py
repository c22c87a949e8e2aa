"""Late samples waiting to be rolled up: ranges of telemetry stored after their rollup ran.

Revision ID: 0005_telemetry_late_rollups
Revises: 0003_telemetry_states
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_telemetry_late_rollups"
down_revision: str | None = "0003_telemetry_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Written by the ingest transaction that stores the late samples, consumed by the rollup
    # job. No foreign key: the ingest hot path should not pay for one, and a range of a
    # deleted channel only re-aggregates nothing.
    op.create_table(
        "telemetry_rollup_pending",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("first_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.CheckConstraint("last_ts >= first_ts", name="telemetry_rollup_pending_order"),
    )


def downgrade() -> None:
    op.drop_table("telemetry_rollup_pending")
