"""Sharing evaluation: state durations per instrument and Beijing day, kept up to date, and
ratings of completed bookings.

``evaluation_state_day`` holds the seconds each instrument spent in each state on each
Beijing calendar day, from closed state intervals. A trigger on ``instrument_state_interval``
queues the Beijing days an insert, update or delete touches in ``evaluation_state_day_pending``;
the telemetry job runner re-aggregates those days (``server.evaluation.aggregates``), so late
data and rewritten intervals correct the totals.

Revision ID: 0008_evaluation
Revises: 0003_telemetry_states, 0004_booking
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_evaluation"
# Needs the state intervals (telemetry branch) and bookings (booking branch): a merge of the
# two rather than depends_on, for the reason given in 0006_booking_opening_hours.
down_revision: str | Sequence[str] | None = ("0003_telemetry_states", "0004_booking")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGER_FUNCTION = """
CREATE FUNCTION evaluation_queue_state_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.end_at IS NOT NULL THEN
    INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)
    VALUES (OLD.instrument_id,
            (OLD.start_at AT TIME ZONE 'Asia/Shanghai')::date,
            (OLD.end_at AT TIME ZONE 'Asia/Shanghai')::date);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.end_at IS NOT NULL THEN
    INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)
    VALUES (NEW.instrument_id,
            (NEW.start_at AT TIME ZONE 'Asia/Shanghai')::date,
            (NEW.end_at AT TIME ZONE 'Asia/Shanghai')::date);
  END IF;
  RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "evaluation_state_day",
        sa.Column(
            "instrument_id",
            sa.Uuid(),
            sa.ForeignKey("instrument.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Numeric(14, 6), nullable=False),
        sa.PrimaryKeyConstraint("instrument_id", "day", "state"),
    )
    op.create_index("ix_evaluation_state_day_day", "evaluation_state_day", ["day"])
    op.create_table(
        "evaluation_state_day_pending",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
    )
    op.execute(_TRIGGER_FUNCTION)
    op.execute(
        "CREATE TRIGGER evaluation_queue_state_days"
        " AFTER INSERT OR UPDATE OR DELETE ON instrument_state_interval"
        " FOR EACH ROW EXECUTE FUNCTION evaluation_queue_state_days()"
    )
    # Intervals recorded before this revision are aggregated by the first refresh.
    op.execute(
        "INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)"
        " SELECT instrument_id, min((start_at AT TIME ZONE 'Asia/Shanghai')::date),"
        " max((end_at AT TIME ZONE 'Asia/Shanghai')::date)"
        " FROM instrument_state_interval WHERE end_at IS NOT NULL GROUP BY instrument_id"
    )
    op.create_table(
        "booking_rating",
        sa.Column(
            "booking_id",
            sa.Uuid(),
            sa.ForeignKey("booking.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("instrument_id", sa.Uuid(), sa.ForeignKey("instrument.id"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="booking_rating_score_check"),
    )
    op.create_index("ix_booking_rating_instrument_id", "booking_rating", ["instrument_id"])


def downgrade() -> None:
    op.drop_table("booking_rating")
    op.execute("DROP TRIGGER evaluation_queue_state_days ON instrument_state_interval")
    op.execute("DROP FUNCTION evaluation_queue_state_days()")
    op.drop_table("evaluation_state_day_pending")
    op.drop_table("evaluation_state_day")
