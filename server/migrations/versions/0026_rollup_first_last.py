"""First and last values in the one-minute rollup, and a fifteen-minute rollup above it.

A chart at screen resolution draws, per pixel column, the first, lowest, highest and last value
(M4). With first and last kept per minute, a column of whole minutes is answered from the
rollup; a month across a screen (columns of 15 minutes or more) from the fifteen-minute rollup,
which the server builds from the one-minute rows. Minute rows written before this revision
have no first or last value: queries and the fifteen-minute rows use the minute's mean.

Revision ID: 0026_rollup_first_last
Revises: 0019_channel_directory_notify
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_rollup_first_last"
down_revision: str | None = "0019_channel_directory_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("telemetry_rollup_1m", sa.Column("first_value", sa.Double()))
    op.add_column("telemetry_rollup_1m", sa.Column("last_value", sa.Double()))
    op.create_table(
        "telemetry_rollup_15m",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_value", sa.Double()),
        sa.Column("max_value", sa.Double()),
        sa.Column("mean_value", sa.Double()),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("first_value", sa.Double()),
        sa.Column("last_value", sa.Double()),
        sa.PrimaryKeyConstraint("channel_id", "bucket", name="telemetry_rollup_15m_pkey"),
    )
    # From the minutes already rolled up (the job keeps it from now on).
    op.execute(
        """
        INSERT INTO telemetry_rollup_15m
        SELECT channel_id,
               date_bin('15 minutes', bucket, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS b,
               min(min_value), max(max_value),
               sum(mean_value * sample_count) / NULLIF(sum(sample_count), 0),
               sum(sample_count),
               (array_agg(mean_value ORDER BY bucket)
                    FILTER (WHERE mean_value IS NOT NULL))[1],
               (array_agg(mean_value ORDER BY bucket DESC)
                    FILTER (WHERE mean_value IS NOT NULL))[1]
        FROM telemetry_rollup_1m GROUP BY channel_id, b
        """
    )


def downgrade() -> None:
    op.drop_table("telemetry_rollup_15m")
    op.drop_column("telemetry_rollup_1m", "last_value")
    op.drop_column("telemetry_rollup_1m", "first_value")
