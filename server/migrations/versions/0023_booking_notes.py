"""Booking notes: the sample information thread of a booking (text and one file per note),
read and written by the booker's organisation and the lab staff of the instrument's institution.

Revision ID: 0023_booking_notes
Revises: 0012_booking_decision_reason
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_booking_notes"
# The booking branch: after the latest booking revision.
down_revision: str | None = "0012_booking_decision_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booking_note",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "booking_id",
            sa.Uuid(),
            sa.ForeignKey("booking.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("body", sa.Text(), nullable=False, server_default=""),
        sa.Column("attachment_filename", sa.Text()),
        sa.Column("attachment_content_type", sa.Text()),
        sa.Column("attachment_size_bytes", sa.Integer()),
        sa.Column("attachment_content", sa.LargeBinary()),
        sa.CheckConstraint(
            "body <> '' OR attachment_content IS NOT NULL", name="booking_note_not_empty_check"
        ),
    )
    op.create_index("ix_booking_note_booking_id", "booking_note", ["booking_id"])


def downgrade() -> None:
    op.drop_table("booking_note")
