"""Opening hours have one home: the registry's instrument record. Booking's own
``opening_hours`` table (0004_booking) is folded into ``instrument.opening_hours`` and dropped.

Where an instrument has rows in the booking table, they become its record's hours, also when
the record already held different ones: the booking rows are what every existing booking was
checked against, so the bookings already made stay inside opening hours. The record's former
value is kept in ``audit_log`` (action ``merge_opening_hours``, no actor), so a lab manager can
see and restore it. Instruments without booking rows keep their record as it is.

Revision ID: 0006_booking_opening_hours
Revises: 0004_booking, 0002_registry
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_booking_opening_hours"
# A merge of the booking and registry branches rather than ``depends_on = ("0002_registry",)``:
# Alembic leaves a dependency-only parent out of ``alembic_version`` while still listing it
# among the script's heads, so a migrated database would no longer match ``get_heads()``.
down_revision: str | Sequence[str] | None = ("0004_booking", "0002_registry")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Booking rows as the record's JSON, {"mon": [["08:30", "17:30"]], ...} (weekday 0 is
    # Monday); a period closing at 24:00 keeps "24:00" (PostgreSQL's time holds it, the
    # record's format allows it).
    op.execute(
        """
        WITH merged AS (
            SELECT instrument_id, jsonb_object_agg(day, spans) AS hours
            FROM (
                SELECT instrument_id,
                       (ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])[weekday + 1]
                         AS day,
                       jsonb_agg(jsonb_build_array(
                           to_char(opens, 'HH24:MI'),
                           CASE WHEN closes = '24:00'::time THEN '24:00'
                                ELSE to_char(closes, 'HH24:MI') END
                       ) ORDER BY opens, closes) AS spans
                FROM opening_hours
                GROUP BY instrument_id, weekday
            ) AS days
            GROUP BY instrument_id
        ),
        changed AS (
            SELECT i.id, i.organisation_id, i.opening_hours AS before, m.hours AS after
            FROM instrument i JOIN merged m ON m.instrument_id = i.id
            WHERE i.opening_hours IS DISTINCT FROM m.hours
        ),
        audited AS (
            INSERT INTO audit_log (organisation_id, entity, entity_id, action, before, after)
            SELECT organisation_id, 'instrument', id::text, 'merge_opening_hours',
                   jsonb_build_object('opening_hours', before),
                   jsonb_build_object('opening_hours', after)
            FROM changed
        )
        UPDATE instrument i SET opening_hours = c.after FROM changed c WHERE i.id = c.id
        """
    )
    op.drop_index("ix_opening_hours_instrument_id", table_name="opening_hours")
    op.drop_table("opening_hours")


def downgrade() -> None:
    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("instrument_id", sa.Uuid(), sa.ForeignKey("instrument.id"), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="opening_hours_weekday"),
        sa.CheckConstraint("opens < closes", name="opening_hours_order"),
    )
    op.create_index("ix_opening_hours_instrument_id", "opening_hours", ["instrument_id"])
    # The records keep their hours (they are the registry's); booking gets a copy back.
    op.execute(
        """
        INSERT INTO opening_hours (instrument_id, weekday, opens, closes)
        SELECT i.id, d.n - 1, (span ->> 0)::time, (span ->> 1)::time
        FROM instrument i
        CROSS JOIN unnest(ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])
             WITH ORDINALITY AS d(key, n)
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(i.opening_hours -> d.key) = 'array'
                 THEN i.opening_hours -> d.key ELSE '[]'::jsonb END
        ) AS span
        WHERE i.opening_hours IS NOT NULL
        """
    )
