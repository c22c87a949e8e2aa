"""An instrument's asset number (资产编号) and commissioning date (启用日期), as the national
sharing platform's record carries them. The asset number is unique within an institution, so
a bulk import finds the instrument it already holds under that number.

Revision ID: 0015_instrument_asset_number
Revises: 0002_registry
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_instrument_asset_number"
down_revision: str | None = "0002_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("instrument", sa.Column("asset_number", sa.Text()))
    op.add_column("instrument", sa.Column("commissioned_on", sa.Date()))
    op.create_index(
        "uq_instrument_organisation_asset_number",
        "instrument",
        ["organisation_id", "asset_number"],
        unique=True,
        postgresql_where=sa.text("asset_number IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_instrument_organisation_asset_number", table_name="instrument")
    op.drop_column("instrument", "commissioned_on")
    op.drop_column("instrument", "asset_number")
