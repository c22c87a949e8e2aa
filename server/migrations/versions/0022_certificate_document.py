"""A calibration certificate's PDF: the certificate row points at the instrument attachment
that holds the scanned or issued document (kind ``certificate``).

Revision ID: 0022_certificate_document
Revises: 0015_instrument_asset_number
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022_certificate_document"
down_revision: str | None = "0015_instrument_asset_number"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "calibration_certificate",
        sa.Column(
            "document_attachment_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("instrument_attachment.id", ondelete="SET NULL"),
        ),
    )


def downgrade() -> None:
    op.drop_column("calibration_certificate", "document_attachment_id")
