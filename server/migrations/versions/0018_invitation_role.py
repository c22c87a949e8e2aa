"""Invitations name the role the invitee gets; institutions invite their staff too.

Revision ID: 0018_invitation_role
Revises: 0011_registration
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_invitation_role"
down_revision: str | None = "0011_registration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.rename_table("enterprise_invitation", "invitation")
    # Every invitation so far came from an enterprise admin for an ordinary member.
    op.add_column(
        "invitation",
        sa.Column("role", sa.Text(), nullable=False, server_default="enterprise_member"),
    )
    op.alter_column("invitation", "role", server_default=None)


def downgrade() -> None:
    op.drop_column("invitation", "role")
    op.rename_table("invitation", "enterprise_invitation")
