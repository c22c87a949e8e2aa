"""Published cost models, charges, innovation vouchers and their uses."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, Column, Date, DateTime, Numeric, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

__all__ = [
    "Charge",
    "ChargeKind",
    "CostModel",
    "CostRate",
    "UserCategory",
    "Voucher",
    "VoucherStatus",
    "VoucherUse",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UserCategory(StrEnum):
    INTERNAL = "internal"  # staff of the owning institution
    EXTERNAL = "external"  # other institutions
    ENTERPRISE = "enterprise"


class ChargeKind(StrEnum):
    USAGE = "usage"
    NO_SHOW = "no_show"
    LATE_CANCELLATION = "late_cancellation"


class VoucherStatus(StrEnum):
    ISSUED = "issued"
    CONFIRMED_USED = "confirmed_used"
    REDEEMED = "redeemed"


class CostModel(SQLModel, table=True):
    """The published cost accounting of one instrument (docs/domain-rules.md §1), CNY per hour."""

    __tablename__ = "cost_model"

    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", primary_key=True)
    consumables_per_hour: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    staff_service_per_hour: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    annual_depreciation: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    rated_annual_hours: int = 1600
    other_per_hour: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    per_sample_fee: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    published_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class CostRate(SQLModel, table=True):
    """Factor applied to the cost model for one user category (1 = full cost recovery)."""

    __tablename__ = "cost_rate"

    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", primary_key=True)
    category: str = Field(sa_type=Text, primary_key=True)
    factor: Decimal = Field(sa_type=Numeric(6, 4))


class Charge(SQLModel, table=True):
    __tablename__ = "booking_charge"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    booking_id: uuid.UUID = Field(foreign_key="booking.id", unique=True)
    instrument_id: uuid.UUID = Field(foreign_key="instrument.id", index=True)
    # Denormalised so statements of both sides are one indexed filter each.
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    institution_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(sa_type=Text)
    category: str = Field(sa_type=Text)
    minutes: int
    breakdown: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    amount: Decimal = Field(sa_type=Numeric(12, 2))
    voucher_amount: Decimal = Field(default=Decimal("0.00"), sa_type=Numeric(12, 2))
    enterprise_amount: Decimal = Field(sa_type=Numeric(12, 2))
    voucher_id: uuid.UUID | None = Field(default=None, foreign_key="voucher.id")
    service_date: date = Field(sa_type=Date)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class Voucher(SQLModel, table=True):
    """An innovation voucher (科技创新券) held by an enterprise (docs/domain-rules.md §2)."""

    __tablename__ = "voucher"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(sa_type=Text, unique=True)
    issuer: str = Field(sa_type=Text)
    holder_organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    face_value: Decimal = Field(sa_type=Numeric(12, 2))
    balance: Decimal = Field(sa_type=Numeric(12, 2))
    valid_from: date = Field(sa_type=Date)
    valid_to: date = Field(sa_type=Date)
    regions: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    status: VoucherStatus = Field(default=VoucherStatus.ISSUED, sa_type=Text)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )


class VoucherUse(SQLModel, table=True):
    """The part of one charge paid by a voucher; redeemed later by the institution."""

    __tablename__ = "voucher_use"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    voucher_id: uuid.UUID = Field(foreign_key="voucher.id", index=True)
    charge_id: uuid.UUID = Field(foreign_key="booking_charge.id", unique=True)
    institution_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    amount: Decimal = Field(sa_type=Numeric(12, 2))
    status: VoucherStatus = Field(default=VoucherStatus.CONFIRMED_USED, sa_type=Text)
    redeemed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
    )
