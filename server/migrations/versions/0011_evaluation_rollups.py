"""Sharing evaluation: hours per instrument and Beijing day, rolled up per month.

``evaluation_hours_day`` keeps, per instrument and Beijing day, everything the yearly metrics
need: running seconds (closed state intervals), the union of completed bookings' windows (all,
outside users', enterprises') and the running time inside outside users' and enterprises'
windows. ``evaluation_hours_month`` is the sum of a month's day rows, so a year of one
instrument is 12 rows. Both are rewritten by the same refresh that keeps
``evaluation_state_day`` (``server.evaluation.aggregates``), for the days queued in
``evaluation_state_day_pending``. Besides state intervals, completed bookings now queue the
days of their windows too: a booking completed, rescheduled or corrected after the fact
changes the external hours of those days.

``evaluation_service_month`` counts outside users' completed bookings per instrument, Beijing
month (of the booking's start), user and customer organisation: records, samples, fees,
voucher amounts and ratings. Distinct users and enterprises of any group are then counted over
these rows instead of every booking. A charge or rating written later queues its booking's day.

Revision ID: 0011_evaluation_rollups
Revises: 0008_evaluation
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_evaluation_rollups"
down_revision: str | Sequence[str] | None = "0008_evaluation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("running_s", "booked_s", "ext_booked_s", "ent_booked_s", "ext_run_s", "ent_run_s")

_BOOKING_TRIGGER_FUNCTION = """
CREATE FUNCTION evaluation_queue_booking_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'completed' THEN
    INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)
    VALUES (OLD.instrument_id,
            (coalesce(OLD.actual_start_at, OLD.start_at) AT TIME ZONE 'Asia/Shanghai')::date,
            (coalesce(OLD.actual_end_at, OLD.end_at) AT TIME ZONE 'Asia/Shanghai')::date);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'completed' THEN
    INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)
    VALUES (NEW.instrument_id,
            (coalesce(NEW.actual_start_at, NEW.start_at) AT TIME ZONE 'Asia/Shanghai')::date,
            (coalesce(NEW.actual_end_at, NEW.end_at) AT TIME ZONE 'Asia/Shanghai')::date);
  END IF;
  RETURN NULL;
END;
$$
"""


_LATE_TRIGGER_FUNCTION = """
CREATE FUNCTION evaluation_queue_booking_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_booking uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN row_booking := OLD.booking_id; ELSE row_booking := NEW.booking_id; END IF;
  INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)
  SELECT b.instrument_id,
    (coalesce(b.actual_start_at, b.start_at) AT TIME ZONE 'Asia/Shanghai')::date,
    (coalesce(b.actual_start_at, b.start_at) AT TIME ZONE 'Asia/Shanghai')::date
  FROM booking b WHERE b.id = row_booking AND b.status = 'completed';
  RETURN NULL;
END;
$$
"""


def _table(name: str, key: str) -> None:
    op.create_table(
        name,
        sa.Column(
            "instrument_id",
            sa.Uuid(),
            sa.ForeignKey("instrument.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(key, sa.Date(), nullable=False),
        *(sa.Column(c, sa.Double(), nullable=False, server_default="0") for c in _COLUMNS),
        sa.PrimaryKeyConstraint("instrument_id", key),
    )


def upgrade() -> None:
    _table("evaluation_hours_day", "day")
    _table("evaluation_hours_month", "month")
    # The province's year reads whole months by month, not by instrument.
    op.create_index("ix_evaluation_hours_month_month", "evaluation_hours_month", ["month"])
    op.create_index("ix_evaluation_hours_day_day", "evaluation_hours_day", ["day"])
    op.create_table(
        "evaluation_service_month",
        sa.Column(
            "instrument_id",
            sa.Uuid(),
            sa.ForeignKey("instrument.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("samples", sa.BigInteger(), nullable=False),
        sa.Column("fees", sa.Numeric(14, 2), nullable=False),
        sa.Column("vouchers", sa.Numeric(14, 2), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("instrument_id", "month", "user_id", "organisation_id"),
    )
    op.create_index("ix_evaluation_service_month_month", "evaluation_service_month", ["month"])
    # Completed bookings by the instant their use began: the live part of a period's edges.
    op.execute(
        "CREATE INDEX ix_booking_completed_use_start ON booking"
        " ((coalesce(actual_start_at, start_at))) WHERE status = 'completed'"
    )
    op.execute(_LATE_TRIGGER_FUNCTION)
    for table in ("booking_charge", "booking_rating"):
        op.execute(
            f"CREATE TRIGGER evaluation_queue_{table} AFTER INSERT OR UPDATE OR DELETE"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION evaluation_queue_booking_of_row()"
        )
    op.execute(_BOOKING_TRIGGER_FUNCTION)
    op.execute(
        "CREATE TRIGGER evaluation_queue_booking_days"
        " AFTER INSERT OR UPDATE OR DELETE ON booking"
        " FOR EACH ROW EXECUTE FUNCTION evaluation_queue_booking_days()"
    )
    # Everything recorded before this revision is rolled up by the first refresh.
    op.execute(
        "INSERT INTO evaluation_state_day_pending (instrument_id, first_day, last_day)"
        " SELECT instrument_id, min(day), max(day) FROM ("
        "  SELECT instrument_id, (start_at AT TIME ZONE 'Asia/Shanghai')::date AS day"
        "  FROM instrument_state_interval WHERE end_at IS NOT NULL"
        "  UNION ALL SELECT instrument_id, (end_at AT TIME ZONE 'Asia/Shanghai')::date"
        "  FROM instrument_state_interval WHERE end_at IS NOT NULL"
        "  UNION ALL SELECT instrument_id,"
        "   (coalesce(actual_start_at, start_at) AT TIME ZONE 'Asia/Shanghai')::date"
        "  FROM booking WHERE status = 'completed'"
        "  UNION ALL SELECT instrument_id,"
        "   (coalesce(actual_end_at, end_at) AT TIME ZONE 'Asia/Shanghai')::date"
        "  FROM booking WHERE status = 'completed') d GROUP BY instrument_id"
    )


def downgrade() -> None:
    for table in ("booking_charge", "booking_rating"):
        op.execute(f"DROP TRIGGER evaluation_queue_{table} ON {table}")
    op.execute("DROP FUNCTION evaluation_queue_booking_of_row()")
    op.execute("DROP INDEX ix_booking_completed_use_start")
    op.drop_table("evaluation_service_month")
    op.execute("DROP TRIGGER evaluation_queue_booking_days ON booking")
    op.execute("DROP FUNCTION evaluation_queue_booking_days()")
    op.drop_table("evaluation_hours_month")
    op.drop_table("evaluation_hours_day")
