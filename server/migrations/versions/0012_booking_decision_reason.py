"""A rejected booking keeps the lab's reason, which its booker reads on the booking.

Revision ID: 0012_booking_decision_reason
Revises: 0006_booking_opening_hours
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_booking_decision_reason"
# Its own branch off the latest booking revision.
down_revision: str | None = "0006_booking_opening_hours"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE booking ADD COLUMN decision_reason text")


def downgrade() -> None:
    op.execute("ALTER TABLE booking DROP COLUMN decision_reason")
