"""Tell ingest workers when a channel changes or goes, so they stop using a cached mapping.

Revision ID: 0019_channel_directory_notify
Revises: 0014_telemetry_program_runs
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_channel_directory_notify"
down_revision: str | None = "0014_telemetry_program_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The NOTIFY channel; server/telemetry/worker.py listens on it.
NOTIFY_CHANNEL = "labshare_channel_directory"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION channel_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{NOTIFY_CHANNEL}', OLD.gateway_id::text);
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER channel_directory_changed AFTER UPDATE OR DELETE ON channel
        FOR EACH ROW EXECUTE FUNCTION channel_directory_changed()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER channel_directory_changed ON channel")
    op.execute("DROP FUNCTION channel_directory_changed()")
