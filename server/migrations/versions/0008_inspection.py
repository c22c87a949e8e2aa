"""Inspection results, control-chart points, frozen limits versions and SPC alarms.

Revision ID: 0008_inspection
Revises: 0002_registry
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_inspection"
# Its own branch (off the registry, whose instrument and gateway it refers to).
down_revision: str | None = "0002_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPGRADE = """
CREATE TABLE inspection_characteristic (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    instrument_id uuid REFERENCES instrument (id),
    product text NOT NULL,
    key text NOT NULL,
    name text NOT NULL,
    unit text NOT NULL,
    nominal double precision,
    lsl double precision,
    usl double precision,
    subgroup_size smallint NOT NULL,
    chart text NOT NULL,
    rules smallint[] NOT NULL,
    responsible_user_ids uuid[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inspection_characteristic_key UNIQUE (organisation_id, product, key),
    CONSTRAINT inspection_characteristic_chart CHECK (chart IN ('imr', 'xbar_r', 'xbar_s')),
    CONSTRAINT inspection_characteristic_subgroup CHECK (
        (chart = 'imr' AND subgroup_size = 1)
        OR (chart <> 'imr' AND subgroup_size BETWEEN 2 AND 25)),
    CONSTRAINT inspection_characteristic_spec CHECK (lsl IS NULL OR usl IS NULL OR lsl < usl)
);
CREATE TABLE inspection_result (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    characteristic_id uuid NOT NULL REFERENCES inspection_characteristic (id) ON DELETE CASCADE,
    gateway_id uuid REFERENCES gateway (id),
    seq bigint,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    part text,
    subgroup text,
    station text,
    operator text,
    source text NOT NULL,
    point_position integer,
    client_id text,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inspection_result_gateway_seq UNIQUE (gateway_id, seq)
);
CREATE UNIQUE INDEX inspection_result_client_id ON inspection_result (characteristic_id, client_id)
    WHERE client_id IS NOT NULL;
CREATE INDEX inspection_result_open_subgroup ON inspection_result (characteristic_id, subgroup)
    WHERE point_position IS NULL;
CREATE INDEX inspection_result_characteristic_ts ON inspection_result (characteristic_id, ts);
CREATE TABLE inspection_point (
    characteristic_id uuid NOT NULL REFERENCES inspection_characteristic (id) ON DELETE CASCADE,
    position integer NOT NULL,
    subgroup text,
    ts timestamptz NOT NULL,
    n smallint NOT NULL,
    location double precision NOT NULL,
    spread double precision,
    limits_version integer,
    z double precision,
    rules smallint[] NOT NULL,
    out_of_spec boolean NOT NULL,
    spread_out boolean NOT NULL DEFAULT false,
    PRIMARY KEY (characteristic_id, position)
);
CREATE TABLE inspection_limits (
    characteristic_id uuid NOT NULL REFERENCES inspection_characteristic (id) ON DELETE CASCADE,
    version integer NOT NULL,
    chart text NOT NULL,
    subgroup_size smallint NOT NULL,
    center double precision NOT NULL,
    ucl double precision NOT NULL,
    lcl double precision NOT NULL,
    spread_center double precision NOT NULL,
    spread_ucl double precision NOT NULL,
    spread_lcl double precision NOT NULL,
    sigma_within double precision NOT NULL,
    sigma_estimator text NOT NULL,
    points integer NOT NULL,
    baseline_first integer NOT NULL,
    baseline_last integer NOT NULL,
    exclusions jsonb NOT NULL,
    note text,
    created_by uuid REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (characteristic_id, version)
);
CREATE TABLE inspection_chart_state (
    characteristic_id uuid PRIMARY KEY
        REFERENCES inspection_characteristic (id) ON DELETE CASCADE,
    next_position integer NOT NULL DEFAULT 0,
    last_individual double precision,
    limits_version integer,
    rule_state jsonb
);
CREATE TABLE inspection_alarm (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    characteristic_id uuid NOT NULL REFERENCES inspection_characteristic (id) ON DELETE CASCADE,
    kind text NOT NULL,
    rule smallint,
    positions integer[] NOT NULL,
    limits_version integer,
    message text NOT NULL,
    occurrences integer NOT NULL DEFAULT 1,
    last_position integer NOT NULL,
    raised_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by uuid REFERENCES app_user (id),
    cause text,
    action text,
    CONSTRAINT inspection_alarm_kind CHECK (kind IN ('rule', 'out_of_spec', 'spread'))
);
CREATE INDEX inspection_alarm_open ON inspection_alarm (characteristic_id)
    WHERE acknowledged_at IS NULL;
"""


def upgrade() -> None:
    op.execute(_UPGRADE)


def downgrade() -> None:
    op.execute(
        "DROP TABLE inspection_alarm, inspection_chart_state, inspection_limits,"
        " inspection_point, inspection_result, inspection_characteristic"
    )
