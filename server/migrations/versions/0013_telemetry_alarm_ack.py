"""Acknowledgements of the live board's telemetry alarms (state fault, loop fault, out of range,
gateway offline): who, when and a note, per occurrence of an alarm; and what the values of a
status-register channel mean (its value map), so the board shows words, not codes.

Revision ID: 0013_telemetry_alarm_ack
Revises: 0005_telemetry_late_rollups
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_telemetry_alarm_ack"
down_revision: str | None = "0005_telemetry_late_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An occurrence is the instrument, the kind, what raised it (a channel id, a gateway key,
    # or empty for the instrument's state) and when the condition began: a fault that clears
    # and comes back is a new occurrence, unacknowledged.
    op.execute(
        """
CREATE TABLE telemetry_alarm_ack (
    instrument_id uuid NOT NULL REFERENCES instrument (id) ON DELETE CASCADE,
    kind text NOT NULL,
    subject text NOT NULL,
    since timestamptz NOT NULL,
    acknowledged_by uuid NOT NULL REFERENCES app_user (id),
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    note text NOT NULL,
    PRIMARY KEY (instrument_id, kind, subject, since),
    CONSTRAINT telemetry_alarm_ack_kind
        CHECK (kind IN ('state_fault', 'loop_fault', 'out_of_range', 'gateway_offline'))
)
"""
    )
    # [{"value": 2, "name": "运行", "name_en": "Running"}, ...], checked by the API.
    op.execute(
        """
CREATE TABLE channel_value_map (
    channel_id integer PRIMARY KEY REFERENCES channel (id) ON DELETE CASCADE,
    labels jsonb NOT NULL,
    updated_by uuid REFERENCES app_user (id),
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE channel_value_map")
    op.execute("DROP TABLE telemetry_alarm_ack")
