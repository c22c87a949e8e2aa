"""Enterprise self-registration and invitations.

Revision ID: 0011_registration
Revises: 0001_initial
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_registration"
# Its own branch off the initial schema, like every domain's revisions (server.core.migrations).
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE enterprise_registration (
    id uuid PRIMARY KEY,
    company_name text NOT NULL,
    credit_code text NOT NULL CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    city text,
    contact_name text NOT NULL,
    email text NOT NULL CHECK (email = lower(email)),
    phone text,
    password_hash text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    reason text,
    decided_by uuid REFERENCES app_user (id),
    decided_at timestamptz,
    organisation_id uuid REFERENCES organisation (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'rejected' OR reason IS NOT NULL)
)
"""
    )
    # One live application or account per credit code and per e-mail; a rejected one may reapply.
    op.execute(
        "CREATE UNIQUE INDEX ux_enterprise_registration_code ON enterprise_registration "
        "(credit_code) WHERE status <> 'rejected'"
    )
    op.execute(
        "CREATE UNIQUE INDEX ux_enterprise_registration_email ON enterprise_registration "
        "(email) WHERE status <> 'rejected'"
    )
    op.execute(
        """
CREATE TABLE enterprise_invitation (
    id uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    email text NOT NULL CHECK (email = lower(email)),
    token_hash text NOT NULL UNIQUE,
    invited_by uuid NOT NULL REFERENCES app_user (id),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
    )
    op.execute(
        "CREATE INDEX ix_enterprise_invitation_organisation ON enterprise_invitation "
        "(organisation_id)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE enterprise_invitation")
    op.execute("DROP TABLE enterprise_registration")
