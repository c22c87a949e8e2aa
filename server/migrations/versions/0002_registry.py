"""Registry and calibration: instrument record fields, CMA qualification, calibration
programme, intermediate checks, maintenance, out of service, exports, authorisations, audit.

Revision ID: 0002_registry
Revises: 0001_initial
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

revision: str = "0002_registry"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _try_create_extension(name: str) -> bool:
    """Create an extension if the server has it; a failure must not abort the migration."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {name}")
    except DBAPIError:
        return False
    return True


def _uuid_pk() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _fk(name: str, target: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Uuid(), sa.ForeignKey(target), nullable=nullable)


def _tenant_columns() -> list[sa.Column[Any]]:
    # organisation_id is denormalised from the instrument so every tenancy filter is one column.
    return [_fk("instrument_id", "instrument.id"), _fk("organisation_id", "organisation.id")]


INSTRUMENT_COLUMNS: list[tuple[str, Any]] = [
    ("category", sa.Text()),
    ("specification", sa.Text()),
    ("original_value", sa.Numeric(14, 2)),
    ("currency", sa.Text()),
    ("country_of_origin", sa.Text()),
    ("manufacture_date", sa.Date()),
    ("purchase_date", sa.Date()),
    ("asset_class_code", sa.Text()),
    ("firmware_version", sa.Text()),
    ("technical_specifications", sa.Text()),
    ("main_functions", sa.Text()),
    ("accessories", sa.Text()),
    ("contact_name", sa.Text()),
    ("contact_phone", sa.Text()),
    ("contact_email", sa.Text()),
    ("fee_rule", sa.Text()),
    ("opening_hours", JSONB()),
    ("calibration_interval_days", sa.Integer()),
]


def upgrade() -> None:
    trigram = _try_create_extension("pg_trgm")

    for name, type_ in INSTRUMENT_COLUMNS:
        op.add_column("instrument", sa.Column(name, type_))
    op.add_column(
        "instrument",
        sa.Column(
            "service_modes",
            sa.ARRAY(sa.Text()),
            nullable=False,
            server_default=sa.text("ARRAY['staff_operated']::text[]"),
        ),
    )
    op.add_column(
        "instrument",
        sa.Column("calibration_required", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_check_constraint(
        "instrument_service_modes_check",
        "instrument",
        "service_modes <@ ARRAY['self_operated', 'staff_operated']::text[]",
    )
    # One lower-cased text of every searchable field, kept by PostgreSQL itself, so the
    # catalogue's text search is one trigram index probe, in Chinese and English alike.
    op.execute(
        "ALTER TABLE instrument ADD COLUMN search_text text GENERATED ALWAYS AS (lower("
        "name || ' ' || coalesce(name_en, '') || ' ' || coalesce(model, '') || ' ' || "
        "coalesce(manufacturer, '') || ' ' || coalesce(category, '') || ' ' || "
        "coalesce(technical_specifications, '') || ' ' || coalesce(main_functions, ''))) STORED"
    )
    if trigram:
        op.execute(
            "CREATE INDEX ix_instrument_search_text_trgm ON instrument "
            "USING gin (search_text gin_trgm_ops)"
        )
    op.create_index("ix_instrument_category", "instrument", ["category"])

    op.create_table(
        "cma_certificate",
        _uuid_pk(),
        _fk("organisation_id", "organisation.id"),
        sa.Column("number", sa.Text(), nullable=False, unique=True),
        sa.Column("issuing_authority", sa.Text()),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("cnas_number", sa.Text()),
        sa.Column("cnas_valid_until", sa.Date()),
        _created_at(),
        sa.CheckConstraint("number ~ '^[0-9]{12}$'", name="cma_certificate_number_check"),
        sa.CheckConstraint("valid_until > issued_on", name="cma_certificate_validity_check"),
    )
    op.create_index("ix_cma_certificate_organisation_id", "cma_certificate", ["organisation_id"])

    op.create_table(
        "cma_scope_item",
        _uuid_pk(),
        _fk("certificate_id", "cma_certificate.id"),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text()),
        sa.Column("standard_name", sa.Text()),
        sa.Column("standard_number", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "category IN ('product', 'item', 'parameter')", name="cma_scope_item_category_check"
        ),
    )
    op.create_index("ix_cma_scope_item_certificate_id", "cma_scope_item", ["certificate_id"])

    op.create_table(
        "instrument_scope_item",
        sa.Column("instrument_id", sa.Uuid(), sa.ForeignKey("instrument.id"), primary_key=True),
        sa.Column("scope_item_id", sa.Uuid(), sa.ForeignKey("cma_scope_item.id"), primary_key=True),
    )
    op.create_index("ix_instrument_scope_item_scope", "instrument_scope_item", ["scope_item_id"])

    op.create_table(
        "calibration_certificate",
        _uuid_pk(),
        *_tenant_columns(),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("is_internal", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prepared_by", sa.Text()),
        sa.Column("approved_by", sa.Text()),
        sa.Column("document_url", sa.Text()),
        sa.Column("remarks", sa.Text()),
        sa.Column("corrections", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("expanded_uncertainty", sa.Double()),
        sa.Column("coverage_factor", sa.Double()),
        sa.Column("uncertainty_unit", sa.Text()),
        sa.Column("acceptance_criteria", sa.Text()),
        sa.Column("result", sa.Text(), nullable=False),
        _fk("recorded_by", "app_user.id", nullable=True),
        _created_at(),
        sa.CheckConstraint("result IN ('pass', 'fail')", name="calibration_certificate_result"),
        sa.CheckConstraint("valid_to > valid_from", name="calibration_certificate_validity"),
        sa.UniqueConstraint("instrument_id", "number", name="calibration_certificate_number_key"),
    )
    op.create_index(
        "ix_calibration_certificate_instrument_valid",
        "calibration_certificate",
        ["instrument_id", "valid_to"],
    )

    op.create_table(
        "intermediate_check",
        _uuid_pk(),
        *_tenant_columns(),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        _fk("performed_by", "app_user.id", nullable=True),
        sa.Column("procedure", sa.Text()),
        sa.Column("reference_value", sa.Double()),
        sa.Column("measured_value", sa.Double()),
        sa.Column("tolerance", sa.Double()),
        sa.Column("unit", sa.Text()),
        sa.Column("acceptance_criteria", sa.Text()),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("remarks", sa.Text()),
        _created_at(),
        sa.CheckConstraint("result IN ('pass', 'fail')", name="intermediate_check_result"),
    )
    op.create_index(
        "ix_intermediate_check_instrument", "intermediate_check", ["instrument_id", "performed_at"]
    )

    op.create_table(
        "maintenance_window",
        _uuid_pk(),
        *_tenant_columns(),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _fk("created_by", "app_user.id", nullable=True),
        _created_at(),
        sa.CheckConstraint("end_at > start_at", name="maintenance_window_order"),
    )
    op.create_index(
        "ix_maintenance_window_instrument", "maintenance_window", ["instrument_id", "start_at"]
    )

    op.create_table(
        "equipment_event",
        _uuid_pk(),
        *_tenant_columns(),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("performed_by", sa.Text()),
        _fk("recorded_by", "app_user.id", nullable=True),
        _created_at(),
        sa.CheckConstraint(
            "kind IN ('maintenance', 'fault', 'damage', 'repair', 'modification')",
            name="equipment_event_kind_check",
        ),
    )
    op.create_index("ix_equipment_event_instrument", "equipment_event", ["instrument_id"])

    op.create_table(
        "out_of_service",
        _uuid_pk(),
        *_tenant_columns(),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cause_kind", sa.Text(), nullable=False),
        sa.Column("cause_id", sa.Uuid()),
        _fk("authorised_by", "app_user.id", nullable=True),
        _fk("return_authorised_by", "app_user.id", nullable=True),
        sa.Column("return_remarks", sa.Text()),
        _created_at(),
        sa.CheckConstraint(
            "cause_kind IN ('calibration_failed', 'check_failed', 'fault', 'manual')",
            name="out_of_service_cause_check",
        ),
        sa.CheckConstraint("end_at IS NULL OR end_at > start_at", name="out_of_service_order"),
    )
    op.create_index("ix_out_of_service_instrument", "out_of_service", ["instrument_id"])
    # At most one open out-of-service record per instrument.
    op.create_index(
        "ux_out_of_service_open",
        "out_of_service",
        ["instrument_id"],
        unique=True,
        postgresql_where=sa.text("end_at IS NULL"),
    )

    op.create_table(
        "data_export",
        _uuid_pk(),
        _fk("instrument_id", "instrument.id"),
        _fk("user_id", "app_user.id"),
        _fk("organisation_id", "organisation.id"),
        sa.Column("range_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("range_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        _created_at(),
    )
    op.create_index("ix_data_export_instrument", "data_export", ["instrument_id", "created_at"])

    op.create_table(
        "impact_report",
        _uuid_pk(),
        *_tenant_columns(),
        _fk("out_of_service_id", "out_of_service.id", nullable=True),
        sa.Column("cause_kind", sa.Text(), nullable=False),
        sa.Column("cause_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True)),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bookings", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("exports", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("notified_user_ids", JSONB(), nullable=False, server_default=sa.text("'[]'")),
        _fk("created_by", "app_user.id", nullable=True),
        _created_at(),
    )
    op.create_index("ix_impact_report_instrument", "impact_report", ["instrument_id"])

    op.create_table(
        "operator_authorisation",
        _uuid_pk(),
        *_tenant_columns(),
        _fk("user_id", "app_user.id"),
        _fk("trained_by", "app_user.id", nullable=True),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lapse_after_days", sa.Integer()),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("remarks", sa.Text()),
        _created_at(),
        sa.CheckConstraint(
            "lapse_after_days IS NULL OR lapse_after_days > 0",
            name="operator_authorisation_lapse_check",
        ),
    )
    op.create_index(
        "ux_operator_authorisation_active",
        "operator_authorisation",
        ["instrument_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )

    op.create_table(
        "instrument_attachment",
        _uuid_pk(),
        *_tenant_columns(),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        _fk("uploaded_by", "app_user.id", nullable=True),
        _created_at(),
        sa.CheckConstraint(
            "kind IN ('photo', 'manual', 'certificate', 'other')",
            name="instrument_attachment_kind_check",
        ),
    )
    op.create_index(
        "ix_instrument_attachment_instrument", "instrument_attachment", ["instrument_id"]
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        _fk("actor_id", "app_user.id", nullable=True),
        sa.Column("organisation_id", sa.Uuid()),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("before", JSONB()),
        sa.Column("after", JSONB()),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"])
    op.create_index("ix_audit_log_organisation", "audit_log", ["organisation_id", "occurred_at"])

    # Notices until the notifications domain exists; also the duplicate guard for reminders.
    op.create_table(
        "registry_notice",
        _uuid_pk(),
        _fk("user_id", "app_user.id"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("dedupe_key", sa.Text()),
        _created_at(),
        sa.UniqueConstraint("user_id", "dedupe_key", name="registry_notice_dedupe_key"),
    )
    op.create_index("ix_registry_notice_user", "registry_notice", ["user_id", "created_at"])


def downgrade() -> None:
    for table in (
        "registry_notice",
        "audit_log",
        "instrument_attachment",
        "operator_authorisation",
        "impact_report",
        "data_export",
        "out_of_service",
        "equipment_event",
        "maintenance_window",
        "intermediate_check",
        "calibration_certificate",
        "instrument_scope_item",
        "cma_scope_item",
        "cma_certificate",
    ):
        op.drop_table(table)
    op.drop_index("ix_instrument_category", table_name="instrument")
    op.execute("DROP INDEX IF EXISTS ix_instrument_search_text_trgm")
    op.drop_constraint("instrument_service_modes_check", "instrument")
    for name in ("search_text", "calibration_required", "service_modes"):
        op.drop_column("instrument", name)
    for name, _ in reversed(INSTRUMENT_COLUMNS):
        op.drop_column("instrument", name)
