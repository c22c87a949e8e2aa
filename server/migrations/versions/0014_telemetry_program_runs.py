"""Program runs an instrument reported through its gateway (a LADS program, for example): the
run, program and result identifiers, when it ran, and its result values (numbers and text).
A booking session's data holds the runs that ended inside it.

Revision ID: 0014_telemetry_program_runs
Revises: 0013_telemetry_alarm_ack
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_telemetry_program_runs"
down_revision: str | None = "0013_telemetry_alarm_ack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keyed like the gateway sends it: a redelivered message finds its run stored.
    op.execute(
        """
CREATE TABLE program_run (
    id bigserial PRIMARY KEY,
    gateway_id uuid NOT NULL REFERENCES gateway (id) ON DELETE CASCADE,
    device_key text NOT NULL,
    unit_key text NOT NULL,
    run_id text NOT NULL,
    program text,
    result_id text,
    outcome text NOT NULL CHECK (outcome IN ('completed', 'aborted')),
    started_at timestamptz,
    ended_at timestamptz NOT NULL,
    results jsonb NOT NULL DEFAULT '[]',
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway_id, device_key, unit_key, run_id)
)
"""
    )
    op.execute(
        "CREATE INDEX program_run_device_ended ON program_run (gateway_id, device_key, ended_at)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE program_run")
