"""Inspection tables (SQLAlchemy Core: results arrive in bulk from the ingest worker).

* ``inspection_characteristic``: what is measured on a product, with its specification, chart
  kind, subgroup size, selected Nelson tests and the users answerable for it;
* ``inspection_result``: one measured value, stored once per ``(gateway_id, seq)``;
* ``inspection_point``: one plotted subgroup, in chart order (``position``), with the limits
  version it was judged against and the tests it violated;
* ``inspection_limits``: frozen, numbered limits versions from a Phase 1 baseline, with the
  excluded points and their reasons;
* ``inspection_chart_state``: the incremental state of each chart (next position, the last
  points the tests look at, the limits version in force);
* ``inspection_alarm``: a test violation, an out-of-specification value or a spread beyond
  the spread chart's limits, with its
  acknowledgement (cause and action).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import SQLModel

__all__ = [
    "alarm_table",
    "characteristic_table",
    "chart_state_table",
    "limits_table",
    "point_table",
    "result_table",
]

metadata = SQLModel.metadata

characteristic_table = Table(
    "inspection_characteristic",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("organisation_id", UUID(as_uuid=True), ForeignKey("organisation.id"), nullable=False),
    Column("instrument_id", UUID(as_uuid=True), ForeignKey("instrument.id")),
    Column("product", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("nominal", Double),
    Column("lsl", Double),
    Column("usl", Double),
    Column("subgroup_size", SmallInteger, nullable=False),
    Column("chart", Text, nullable=False),
    Column("rules", ARRAY(SmallInteger), nullable=False),
    Column("responsible_user_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("organisation_id", "product", "key", name="inspection_characteristic_key"),
    CheckConstraint("chart IN ('imr', 'xbar_r', 'xbar_s')", name="inspection_characteristic_chart"),
    CheckConstraint(
        "(chart = 'imr' AND subgroup_size = 1) OR (chart <> 'imr' AND subgroup_size BETWEEN 2 AND 25)",
        name="inspection_characteristic_subgroup",
    ),
    CheckConstraint(
        "lsl IS NULL OR usl IS NULL OR lsl < usl", name="inspection_characteristic_spec"
    ),
)


def _characteristic_id(*, primary_key: bool = False) -> Column[Any]:
    """The characteristic a row belongs to; the row goes when the characteristic does."""
    return Column(
        "characteristic_id",
        UUID(as_uuid=True),
        ForeignKey("inspection_characteristic.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


result_table = Table(
    "inspection_result",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    _characteristic_id(),
    Column("gateway_id", UUID(as_uuid=True), ForeignKey("gateway.id")),
    Column("seq", BigInteger),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("value", Double, nullable=False),
    Column("part", Text),
    Column("subgroup", Text),
    Column("station", Text),
    Column("operator", Text),
    Column("source", Text, nullable=False),
    Column("point_position", Integer),
    Column("client_id", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("gateway_id", "seq", name="inspection_result_gateway_seq"),
)

point_table = Table(
    "inspection_point",
    metadata,
    _characteristic_id(),
    Column("position", Integer, nullable=False),
    Column("subgroup", Text),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("n", SmallInteger, nullable=False),
    Column("location", Double, nullable=False),
    Column("spread", Double),
    Column("limits_version", Integer),
    Column("z", Double),
    Column("rules", ARRAY(SmallInteger), nullable=False),
    Column("out_of_spec", Boolean, nullable=False),
    Column("spread_out", Boolean, nullable=False, server_default="false"),
    PrimaryKeyConstraint("characteristic_id", "position"),
)

limits_table = Table(
    "inspection_limits",
    metadata,
    _characteristic_id(),
    Column("version", Integer, nullable=False),
    Column("chart", Text, nullable=False),
    Column("subgroup_size", SmallInteger, nullable=False),
    Column("center", Double, nullable=False),
    Column("ucl", Double, nullable=False),
    Column("lcl", Double, nullable=False),
    Column("spread_center", Double, nullable=False),
    Column("spread_ucl", Double, nullable=False),
    Column("spread_lcl", Double, nullable=False),
    Column("sigma_within", Double, nullable=False),
    Column("sigma_estimator", Text, nullable=False),
    Column("points", Integer, nullable=False),
    Column("baseline_first", Integer, nullable=False),
    Column("baseline_last", Integer, nullable=False),
    Column("exclusions", JSONB, nullable=False),
    Column("note", Text),
    Column("created_by", UUID(as_uuid=True), ForeignKey("app_user.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("characteristic_id", "version"),
)

chart_state_table = Table(
    "inspection_chart_state",
    metadata,
    _characteristic_id(primary_key=True),
    Column("next_position", Integer, nullable=False, server_default="0"),
    Column("last_individual", Double),
    Column("limits_version", Integer),
    Column("rule_state", JSONB),
)

alarm_table = Table(
    "inspection_alarm",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    _characteristic_id(),
    Column("kind", Text, nullable=False),
    Column("rule", SmallInteger),
    Column("positions", ARRAY(Integer), nullable=False),
    Column("limits_version", Integer),
    Column("message", Text, nullable=False),
    Column("occurrences", Integer, nullable=False, server_default="1"),
    Column("last_position", Integer, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledged_by", UUID(as_uuid=True), ForeignKey("app_user.id")),
    Column("cause", Text),
    Column("action", Text),
    CheckConstraint("kind IN ('rule', 'out_of_spec', 'spread')", name="inspection_alarm_kind"),
)
