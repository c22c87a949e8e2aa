"""Booking, fees, vouchers and notifications: policies, opening hours, blackouts, bookings
(overlap excluded by the database), waitlist, cost models, charges, vouchers, outbox.

Revision ID: 0004_booking
Revises: 0001_initial
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0004_booking"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must match server.booking.models.ACTIVE_STATUSES.
ACTIVE = "('pending', 'confirmed', 'checked_in', 'completed')"
STATUSES = "('pending', 'confirmed', 'checked_in', 'completed', 'cancelled', 'rejected', 'no_show')"


def _uuid_pk() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _fk(name: str, target: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Uuid(), sa.ForeignKey(target), nullable=nullable)


def _money(name: str, default: str | None = None) -> sa.Column[Any]:
    return sa.Column(
        name,
        sa.Numeric(12, 2),
        nullable=False,
        server_default=sa.text(default) if default is not None else None,
    )


def upgrade() -> None:
    op.create_table(
        "booking_policy",
        sa.Column("instrument_id", sa.Uuid(), sa.ForeignKey("instrument.id"), primary_key=True),
        sa.Column("timezone", sa.Text(), nullable=False, server_default="Asia/Shanghai"),
        sa.Column("slot_minutes", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lead_time_minutes", sa.Integer(), nullable=False, server_default="60"),
        sa.Column("min_duration_minutes", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("max_duration_minutes", sa.Integer(), nullable=False, server_default="480"),
        sa.Column("horizon_days", sa.Integer(), nullable=False, server_default="90"),
        sa.Column("approval_required", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("self_operated_allowed", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("staff_operated_allowed", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("cancellation_window_hours", sa.Integer(), nullable=False, server_default="24"),
        sa.Column(
            "late_cancellation_share", sa.Numeric(5, 4), nullable=False, server_default="0.5"
        ),
        sa.Column("no_show_share", sa.Numeric(5, 4), nullable=False, server_default="1"),
        sa.Column("no_show_release_minutes", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("charge_basis", sa.Text(), nullable=False, server_default="actual"),
        sa.Column("quota_hours_per_week", sa.Numeric(8, 2)),
        sa.Column("quota_hours_per_month", sa.Numeric(8, 2)),
        sa.Column("voucher_max_share", sa.Numeric(5, 4), nullable=False, server_default="0.5"),
        sa.Column("waitlist_offer_minutes", sa.Integer(), nullable=False, server_default="120"),
        sa.CheckConstraint("slot_minutes > 0 AND buffer_minutes >= 0", name="booking_policy_grid"),
        sa.CheckConstraint(
            "min_duration_minutes > 0 AND max_duration_minutes >= min_duration_minutes",
            name="booking_policy_duration",
        ),
        sa.CheckConstraint("charge_basis IN ('actual', 'booked')", name="booking_policy_basis"),
        sa.CheckConstraint(
            "voucher_max_share BETWEEN 0 AND 1 AND no_show_share BETWEEN 0 AND 1 "
            "AND late_cancellation_share BETWEEN 0 AND 1",
            name="booking_policy_shares",
        ),
    )
    op.create_table(
        "opening_hours",
        _uuid_pk(),
        _fk("instrument_id", "instrument.id"),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="opening_hours_weekday"),
        sa.CheckConstraint("opens < closes", name="opening_hours_order"),
    )
    op.create_index("ix_opening_hours_instrument_id", "opening_hours", ["instrument_id"])
    op.create_table(
        "blackout",
        _uuid_pk(),
        _fk("instrument_id", "instrument.id"),
        _ts("start_at", False),
        _ts("end_at", False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.CheckConstraint("start_at < end_at", name="blackout_order"),
    )
    op.create_index("ix_blackout_instrument_id", "blackout", ["instrument_id"])

    op.create_table(
        "booking",
        _uuid_pk(),
        _fk("instrument_id", "instrument.id"),
        _fk("organisation_id", "organisation.id"),
        _fk("user_id", "app_user.id"),
        _ts("start_at", False),
        _ts("end_at", False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False, server_default="self_operated"),
        sa.Column("sample_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("test_items", ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("purpose", sa.Text(), nullable=False, server_default=""),
        sa.Column("series_id", sa.Uuid()),
        sa.Column("user_category", sa.Text(), nullable=False, server_default="enterprise"),
        _money("quoted_amount", "0"),
        _ts("checked_in_at"),
        sa.Column("check_in_source", sa.Text()),
        _ts("actual_start_at"),
        _ts("actual_end_at"),
        sa.Column("actual_minutes", sa.Integer()),
        sa.Column("overrun_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("flag", sa.Text()),
        sa.Column("flag_detail", sa.Text()),
        _ts("reminder_sent_at"),
        _fk("decided_by", "app_user.id", nullable=True),
        _ts("decided_at"),
        _ts("cancelled_at"),
        _fk("cancelled_by", "app_user.id", nullable=True),
        _created_at(),
        sa.CheckConstraint("start_at < end_at", name="booking_order"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="booking_status_check"),
        sa.CheckConstraint(
            "mode IN ('self_operated', 'staff_operated')", name="booking_mode_check"
        ),
    )
    op.create_index("ix_booking_instrument_id", "booking", ["instrument_id"])
    op.create_index("ix_booking_organisation_id", "booking", ["organisation_id"])
    op.create_index("ix_booking_user_id", "booking", ["user_id"])
    op.create_index("ix_booking_series_id", "booking", ["series_id"])
    # The one guarantee that holds under any concurrency: no two active bookings of an
    # instrument overlap. '[)' so back-to-back bookings are allowed.
    op.execute(
        "ALTER TABLE booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist "
        "(instrument_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        f"WHERE (status IN {ACTIVE})"
    )

    op.create_table(
        "waitlist_entry",
        _uuid_pk(),
        _fk("instrument_id", "instrument.id"),
        _fk("organisation_id", "organisation.id"),
        _fk("user_id", "app_user.id"),
        _ts("start_at", False),
        _ts("end_at", False),
        sa.Column("mode", sa.Text(), nullable=False, server_default="self_operated"),
        sa.Column("status", sa.Text(), nullable=False, server_default="waiting"),
        _ts("offered_at"),
        _ts("offer_expires_at"),
        _fk("booking_id", "booking.id", nullable=True),
        _created_at(),
        sa.CheckConstraint(
            "status IN ('waiting', 'offered', 'accepted', 'expired', 'cancelled')",
            name="waitlist_status_check",
        ),
    )
    op.create_index("ix_waitlist_entry_instrument_id", "waitlist_entry", ["instrument_id"])

    op.create_table(
        "cost_model",
        sa.Column("instrument_id", sa.Uuid(), sa.ForeignKey("instrument.id"), primary_key=True),
        _money("consumables_per_hour", "0"),
        _money("staff_service_per_hour", "0"),
        _money("annual_depreciation", "0"),
        sa.Column("rated_annual_hours", sa.Integer(), nullable=False, server_default="1600"),
        _money("other_per_hour", "0"),
        _money("per_sample_fee", "0"),
        sa.Column(
            "published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("rated_annual_hours > 0", name="cost_model_rated_hours"),
    )
    op.create_table(
        "cost_rate",
        sa.Column("instrument_id", sa.Uuid(), sa.ForeignKey("instrument.id"), primary_key=True),
        sa.Column("category", sa.Text(), primary_key=True),
        sa.Column("factor", sa.Numeric(6, 4), nullable=False),
        sa.CheckConstraint(
            "category IN ('internal', 'external', 'enterprise')", name="cost_rate_category"
        ),
        sa.CheckConstraint("factor >= 0", name="cost_rate_factor"),
    )
    op.create_table(
        "voucher",
        _uuid_pk(),
        sa.Column("code", sa.Text(), nullable=False, unique=True),
        sa.Column("issuer", sa.Text(), nullable=False),
        _fk("holder_organisation_id", "organisation.id"),
        _money("face_value"),
        _money("balance"),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("regions", ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("status", sa.Text(), nullable=False, server_default="issued"),
        _created_at(),
        sa.CheckConstraint("balance >= 0 AND balance <= face_value", name="voucher_balance"),
        sa.CheckConstraint(
            "status IN ('issued', 'confirmed_used', 'redeemed')", name="voucher_status_check"
        ),
    )
    op.create_index("ix_voucher_holder_organisation_id", "voucher", ["holder_organisation_id"])
    op.create_table(
        "booking_charge",
        _uuid_pk(),
        sa.Column(
            "booking_id", sa.Uuid(), sa.ForeignKey("booking.id"), nullable=False, unique=True
        ),
        _fk("instrument_id", "instrument.id"),
        _fk("organisation_id", "organisation.id"),
        _fk("institution_id", "organisation.id"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("breakdown", JSONB(), nullable=False),
        _money("amount"),
        _money("voucher_amount", "0"),
        _money("enterprise_amount"),
        _fk("voucher_id", "voucher.id", nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        _created_at(),
        sa.CheckConstraint(
            "kind IN ('usage', 'no_show', 'late_cancellation')", name="booking_charge_kind"
        ),
        sa.CheckConstraint(
            "voucher_amount + enterprise_amount = amount", name="booking_charge_parts"
        ),
    )
    op.create_index("ix_booking_charge_instrument_id", "booking_charge", ["instrument_id"])
    op.create_index("ix_booking_charge_organisation_id", "booking_charge", ["organisation_id"])
    op.create_index("ix_booking_charge_institution_id", "booking_charge", ["institution_id"])
    op.create_table(
        "voucher_use",
        _uuid_pk(),
        _fk("voucher_id", "voucher.id"),
        sa.Column(
            "charge_id", sa.Uuid(), sa.ForeignKey("booking_charge.id"), nullable=False, unique=True
        ),
        _fk("institution_id", "organisation.id"),
        _money("amount"),
        sa.Column("status", sa.Text(), nullable=False, server_default="confirmed_used"),
        _ts("redeemed_at"),
        _created_at(),
    )
    op.create_index("ix_voucher_use_voucher_id", "voucher_use", ["voucher_id"])
    op.create_index("ix_voucher_use_institution_id", "voucher_use", ["institution_id"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        _fk("user_id", "app_user.id"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSONB(), nullable=False, server_default="{}"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        _ts("sent_at"),
        sa.Column("last_error", sa.Text()),
        _created_at(),
    )
    # The dispatcher only ever looks at undelivered rows.
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "notification",
        _uuid_pk(),
        _fk("user_id", "app_user.id"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSONB(), nullable=False, server_default="{}"),
        _ts("read_at"),
        _created_at(),
    )
    op.create_index("ix_notification_user_id", "notification", ["user_id"])


def downgrade() -> None:
    for table in (
        "notification",
        "outbox",
        "voucher_use",
        "booking_charge",
        "voucher",
        "cost_rate",
        "cost_model",
        "waitlist_entry",
        "booking",
        "blackout",
        "opening_hours",
        "booking_policy",
    ):
        op.drop_table(table)
