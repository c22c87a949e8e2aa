"""A gateway's secret hashed with bcrypt, the only hash nats-server takes, so the NATS broker
tier's authorization can be generated from the registry (``labshare-server nats-auth``)
without keeping the plaintext. Gateways registered before it get one when their secret is
rotated.

Revision ID: 0025_gateway_nats_password
Revises: 0017_gateway_retired
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_gateway_nats_password"
down_revision: str | None = "0017_gateway_retired"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("gateway", sa.Column("nats_password_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("gateway", "nats_password_hash")
