"""Proficiency-testing rounds and the participants' results with their scores.

Revision ID: 0009_proficiency
Revises: 0002_registry
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_proficiency"
# Its own branch off the registry (institutions and users come from the initial schema).
down_revision: str | None = "0002_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPGRADE = """
CREATE TABLE pt_round (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    title text NOT NULL,
    title_en text,
    measurand text NOT NULL,
    unit text NOT NULL,
    items text NOT NULL,
    assigned_method text NOT NULL CHECK (assigned_method IN ('reference', 'consensus')),
    reference_value double precision,
    reference_u double precision CHECK (reference_u >= 0),
    sigma_method text NOT NULL CHECK (sigma_method IN ('fixed', 'robust')),
    sigma_fixed double precision CHECK (sigma_fixed > 0),
    score_policy text NOT NULL CHECK (score_policy IN ('z', 'zeta', 'en')),
    deadline timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at timestamptz,
    statistics jsonb,
    created_by uuid REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pt_round_reference CHECK (
        assigned_method <> 'reference' OR (reference_value IS NOT NULL AND reference_u IS NOT NULL)),
    CONSTRAINT pt_round_sigma CHECK (sigma_method <> 'fixed' OR sigma_fixed IS NOT NULL)
);

CREATE TABLE pt_submission (
    id uuid PRIMARY KEY,
    round_id uuid NOT NULL REFERENCES pt_round (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    value double precision NOT NULL,
    standard_u double precision CHECK (standard_u > 0),
    expanded_u double precision CHECK (expanded_u > 0),
    coverage_k double precision CHECK (coverage_k > 0),
    publish boolean NOT NULL DEFAULT false,
    submitted_by uuid REFERENCES app_user (id),
    submitted_at timestamptz NOT NULL DEFAULT now(),
    score_kind text CHECK (score_kind IN ('z', 'z_prime', 'zeta', 'en')),
    score double precision,
    judgement text CHECK (judgement IN ('satisfactory', 'questionable', 'unsatisfactory')),
    CONSTRAINT pt_submission_once UNIQUE (round_id, organisation_id)
);
CREATE INDEX pt_submission_organisation ON pt_submission (organisation_id);
"""


def upgrade() -> None:
    op.execute(_UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE pt_submission, pt_round")
