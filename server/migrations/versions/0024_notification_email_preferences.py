"""E-mail preferences per notification kind: a row only where a user chose; no row means
e-mail as before (the in-app notification is always sent).

Revision ID: 0024_notification_email_prefs (at most 32 characters: alembic_version.version_num)
Revises: 0004_booking (which created the outbox and the in-app notifications)
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_notification_email_prefs"
down_revision: str | None = "0004_booking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_email_preference",
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.Text(), primary_key=True),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_email_preference")
