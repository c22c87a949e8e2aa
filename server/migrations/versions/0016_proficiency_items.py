"""Proficiency-testing rounds with several test items, each with its own assigned value.

Every existing round gets one item (key ``A``) carrying the round's reference value, its
uncertainty, the fixed σ_pt and the statistics; each result moves to that item. Results are then
unique per (item, institution) instead of per (round, institution).

Revision ID: 0016_proficiency_items
Revises: 0009_proficiency
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_proficiency_items"
down_revision: str | None = "0009_proficiency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPGRADE = """
CREATE TABLE pt_item (
    id uuid PRIMARY KEY,
    round_id uuid NOT NULL REFERENCES pt_round (id) ON DELETE CASCADE,
    position integer NOT NULL,
    key text NOT NULL CHECK (key ~ '^[A-Za-z0-9_.-]{1,16}$'),
    name text NOT NULL,
    reference_value double precision,
    reference_u double precision CHECK (reference_u >= 0),
    sigma_fixed double precision CHECK (sigma_fixed > 0),
    statistics jsonb,
    CONSTRAINT pt_item_key UNIQUE (round_id, key)
);

INSERT INTO pt_item (id, round_id, position, key, name, reference_value, reference_u,
                     sigma_fixed, statistics)
SELECT gen_random_uuid(), id, 0, 'A', items, reference_value, reference_u, sigma_fixed, statistics
FROM pt_round;

ALTER TABLE pt_submission ADD COLUMN item_id uuid REFERENCES pt_item (id) ON DELETE CASCADE;
UPDATE pt_submission s SET item_id = i.id FROM pt_item i WHERE i.round_id = s.round_id;
ALTER TABLE pt_submission ALTER COLUMN item_id SET NOT NULL;
ALTER TABLE pt_submission DROP CONSTRAINT pt_submission_once;
ALTER TABLE pt_submission
    ADD CONSTRAINT pt_submission_once_per_item UNIQUE (item_id, organisation_id);

-- The values now live on each item; the round keeps them only as defaults for its items.
ALTER TABLE pt_round DROP CONSTRAINT pt_round_reference;
ALTER TABLE pt_round DROP CONSTRAINT pt_round_sigma;
"""

_DOWNGRADE = """
DELETE FROM pt_submission s USING pt_item i WHERE i.id = s.item_id AND i.position > 0;
ALTER TABLE pt_submission DROP CONSTRAINT pt_submission_once_per_item;
ALTER TABLE pt_submission DROP COLUMN item_id;
ALTER TABLE pt_submission ADD CONSTRAINT pt_submission_once UNIQUE (round_id, organisation_id);
DROP TABLE pt_item;
ALTER TABLE pt_round ADD CONSTRAINT pt_round_reference CHECK (
    assigned_method <> 'reference' OR (reference_value IS NOT NULL AND reference_u IS NOT NULL))
    NOT VALID;
ALTER TABLE pt_round ADD CONSTRAINT pt_round_sigma CHECK (
    sigma_method <> 'fixed' OR sigma_fixed IS NOT NULL) NOT VALID;
"""


def upgrade() -> None:
    op.execute(_UPGRADE)


def downgrade() -> None:
    op.execute(_DOWNGRADE)
