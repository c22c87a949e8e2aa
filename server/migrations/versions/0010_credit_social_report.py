"""Institutions' yearly social responsibility reports (PDF), shown on their public page.

Revision ID: 0010_credit_social_report
Revises: 0009_credit
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_credit_social_report"
down_revision: str | None = "0009_credit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE credit_social_report (
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    filename text NOT NULL,
    size_bytes integer NOT NULL,
    content bytea NOT NULL,
    uploaded_by uuid REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, year)
)
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE credit_social_report")
