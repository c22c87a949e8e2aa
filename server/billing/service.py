"""Quotes, charges and vouchers on the database: the arithmetic lives in fees/vouchers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.trail import audit, snapshot
from server.auth.models import AppUser, Organisation, OrganisationKind
from server.auth.tenancy import is_enterprise, is_platform_admin
from server.billing.fees import CostInputs, Quote, hourly_lines, quote, share_of
from server.billing.models import (
    Charge,
    ChargeKind,
    CostModel,
    CostRate,
    UserCategory,
    Voucher,
    VoucherStatus,
    VoucherUse,
)
from server.billing.vouchers import split_charge, voucher_usable
from server.catalog.models import Instrument
from server.core.errors import Forbidden, NotFound, ValidationFailed

__all__ = [
    "DEFAULT_FACTORS",
    "ChargeResult",
    "category_for",
    "charge_booking",
    "cost_model_of",
    "issue_voucher",
    "list_vouchers",
    "published_hourly_fees",
    "quote_for",
    "quote_with",
    "redeem_voucher_uses",
    "set_cost_model",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_FACTORS = {
    UserCategory.INTERNAL.value: Decimal("1"),
    UserCategory.EXTERNAL.value: Decimal("1"),
    UserCategory.ENTERPRISE.value: Decimal("1"),
}


def category_for(user: AppUser, instrument: Instrument) -> UserCategory:
    """Staff of the owning institution are internal, other institutions external."""
    if is_enterprise(user):
        return UserCategory.ENTERPRISE
    if user.organisation_id == instrument.organisation_id:
        return UserCategory.INTERNAL
    return UserCategory.EXTERNAL


async def cost_model_of(
    session: AsyncSession, instrument_id: uuid.UUID
) -> tuple[CostModel, dict[str, Decimal]]:
    model = await session.get(CostModel, instrument_id) or CostModel(instrument_id=instrument_id)
    rates = await session.exec(select(CostRate).where(CostRate.instrument_id == instrument_id))
    factors = dict(DEFAULT_FACTORS)
    factors.update({r.category: r.factor for r in rates})
    return model, factors


def _cost_model_snapshot(model: CostModel, factors: dict[str, Decimal]) -> dict[str, Any]:
    return {**(snapshot(model) or {}), "factors": {k: str(v) for k, v in sorted(factors.items())}}


async def set_cost_model(
    session: AsyncSession,
    actor: AppUser,
    instrument: Instrument,
    values: dict[str, Any],
    factors: dict[str, Decimal],
) -> tuple[CostModel, dict[str, Decimal]]:
    """Publish the instrument's cost model and its category factors, with an audit entry."""
    instrument_id = instrument.id
    existing = await session.get(CostModel, instrument_id)
    before = None
    if existing is not None:
        before = _cost_model_snapshot(*(await cost_model_of(session, instrument_id)))
    model = existing or CostModel(instrument_id=instrument_id)
    for key, value in values.items():
        setattr(model, key, value)
    model.published_at = datetime.now(UTC)
    session.add(model)
    for category, factor in factors.items():
        rate = await session.get(CostRate, (instrument_id, category))
        if rate is None:
            rate = CostRate(instrument_id=instrument_id, category=category, factor=factor)
        rate.factor = factor
        session.add(rate)
    await session.flush()
    published = await cost_model_of(session, instrument_id)
    await audit(
        session,
        actor=actor,
        entity="cost_model",
        entity_id=instrument_id,
        action="create" if before is None else "update",
        organisation_id=instrument.organisation_id,
        before=before,
        after=_cost_model_snapshot(*published),
    )
    return published


def _inputs(model: CostModel) -> CostInputs:
    return CostInputs(
        consumables_per_hour=Decimal(model.consumables_per_hour),
        staff_service_per_hour=Decimal(model.staff_service_per_hour),
        annual_depreciation=Decimal(model.annual_depreciation),
        rated_annual_hours=model.rated_annual_hours,
        other_per_hour=Decimal(model.other_per_hour),
        per_sample_fee=Decimal(model.per_sample_fee),
    )


async def quote_for(
    session: AsyncSession,
    instrument_id: uuid.UUID,
    *,
    category: str,
    minutes: int,
    staff_operated: bool,
    sample_count: int,
) -> Quote:
    model, factors = await cost_model_of(session, instrument_id)
    return quote_with(
        model,
        factors,
        category=category,
        minutes=minutes,
        staff_operated=staff_operated,
        sample_count=sample_count,
    )


def quote_with(
    model: CostModel,
    factors: dict[str, Decimal],
    *,
    category: str,
    minutes: int,
    staff_operated: bool,
    sample_count: int,
) -> Quote:
    """``quote_for`` on a cost model already read (the booking path reads it with the rest)."""
    return quote(
        _inputs(model),
        minutes=minutes,
        factor=factors.get(category, DEFAULT_FACTORS[category]),
        category=category,
        staff_operated=staff_operated,
        sample_count=sample_count,
    )


def published_hourly_fees(
    model: CostModel, factors: dict[str, Decimal]
) -> dict[str, dict[str, Decimal]]:
    """The fee per hour each category pays, self-operated and staff-operated."""
    inputs = _inputs(model)
    return {
        category: {
            mode: sum(
                (
                    line.per_hour
                    for line in hourly_lines(
                        inputs, factor=factor, staff_operated=mode == "staff_operated"
                    )
                ),
                Decimal("0.00"),
            )
            for mode in ("self_operated", "staff_operated")
        }
        for category, factor in sorted(factors.items())
    }


def quote_json(q: Quote, *, share: Decimal | None = None) -> dict[str, Any]:
    """The quote as the user sees it and as the charge keeps it: the published hourly fee with
    its cost lines, then the charge lines (time at that fee, samples) that add up to the total."""
    return {
        "category": q.category,
        "factor": str(q.factor),
        "minutes": q.minutes,
        "hourly_fee": str(q.hourly_fee),
        "hourly_lines": [
            {
                "item": line.item,
                "label": line.label,
                "rate": str(line.rate.quantize(Decimal("0.0001"))),
                "per_hour": str(line.per_hour),
            }
            for line in q.hourly_lines
        ],
        "lines": [
            {
                "item": line.item,
                "label": line.label,
                "rate": str(line.rate),
                "quantity": str(line.quantity.quantize(Decimal("0.0001"))),
                "amount": str(line.amount),
            }
            for line in q.lines
        ],
        "subtotal": str(q.total),
        "share": None if share is None else str(share),
    }


@dataclass(frozen=True, slots=True)
class ChargeResult:
    charge: Charge
    created: bool


async def _usable_voucher(
    session: AsyncSession, holder_id: uuid.UUID, institution_city: str | None, on: date
) -> Voucher | None:
    """The holder's usable voucher that expires first; locked so two charges cannot race."""
    rows = await session.exec(
        select(Voucher)
        .where(
            Voucher.holder_organisation_id == holder_id,
            col(Voucher.balance) > 0,
            col(Voucher.status) != VoucherStatus.REDEEMED.value,
        )
        .order_by(col(Voucher.valid_to), col(Voucher.code))
        .with_for_update()
    )
    for voucher in rows:
        if voucher_usable(
            status=voucher.status,
            balance=Decimal(voucher.balance),
            valid_from=voucher.valid_from,
            valid_to=voucher.valid_to,
            on=on,
            regions=list(voucher.regions),
            institution_city=institution_city,
        ):
            return voucher
    return None


async def charge_booking(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    instrument: Instrument,
    organisation_id: uuid.UUID,
    category: str,
    kind: ChargeKind,
    minutes: int,
    staff_operated: bool,
    sample_count: int,
    service_start: datetime,
    share: Decimal | None,
    voucher_max_share: Decimal,
) -> ChargeResult:
    """Charge a booking once (idempotent); a voucher pays up to ``voucher_max_share``."""
    existing = (await session.exec(select(Charge).where(Charge.booking_id == booking_id))).first()
    if existing is not None:
        return ChargeResult(existing, created=False)
    q = await quote_for(
        session,
        instrument.id,
        category=category,
        minutes=minutes,
        staff_operated=staff_operated,
        sample_count=sample_count,
    )
    amount = q.total if share is None else share_of(q.total, share)
    service_date = service_start.astimezone(SHANGHAI).date()
    voucher: Voucher | None = None
    voucher_amount = Decimal("0.00")
    payer = await session.get(Organisation, organisation_id)
    if payer is not None and payer.kind == OrganisationKind.ENTERPRISE.value and amount > 0:
        institution = await session.get(Organisation, instrument.organisation_id)
        voucher = await _usable_voucher(
            session, organisation_id, institution.city if institution else None, service_date
        )
        if voucher is not None:
            voucher_amount = split_charge(
                amount, balance=Decimal(voucher.balance), max_share=voucher_max_share
            ).voucher_amount
    charge = Charge(
        booking_id=booking_id,
        instrument_id=instrument.id,
        organisation_id=organisation_id,
        institution_id=instrument.organisation_id,
        kind=kind.value,
        category=category,
        minutes=minutes,
        breakdown=quote_json(q, share=share),
        amount=amount,
        voucher_amount=voucher_amount,
        enterprise_amount=amount - voucher_amount,
        voucher_id=voucher.id if voucher is not None and voucher_amount > 0 else None,
        service_date=service_date,
    )
    session.add(charge)
    await session.flush()
    if voucher is not None and voucher_amount > 0:
        voucher.balance = Decimal(voucher.balance) - voucher_amount
        voucher.status = VoucherStatus.CONFIRMED_USED
        session.add(voucher)
        session.add(
            VoucherUse(
                voucher_id=voucher.id,
                charge_id=charge.id,
                institution_id=instrument.organisation_id,
                amount=voucher_amount,
            )
        )
        await session.flush()
    return ChargeResult(charge, created=True)


async def issue_voucher(session: AsyncSession, user: AppUser, values: dict[str, Any]) -> Voucher:
    """Vouchers are issued by the bureau; on the platform its operator records them."""
    if not is_platform_admin(user):
        raise Forbidden("Only the platform operator records issued vouchers")
    holder = await session.get(Organisation, values["holder_organisation_id"])
    if holder is None or holder.kind != OrganisationKind.ENTERPRISE.value:
        raise ValidationFailed.for_field("holder_organisation_id", "must be an enterprise")
    if values["valid_to"] < values["valid_from"]:
        raise ValidationFailed.for_field("valid_to", "must not be before valid_from")
    voucher = Voucher(**values, balance=values["face_value"], status=VoucherStatus.ISSUED)
    session.add(voucher)
    await session.flush()
    return voucher


async def list_vouchers(session: AsyncSession, user: AppUser) -> Sequence[Voucher]:
    query = select(Voucher).order_by(col(Voucher.valid_to), col(Voucher.code))
    if is_enterprise(user):
        query = query.where(Voucher.holder_organisation_id == user.organisation_id)
    elif not is_platform_admin(user):
        used_here = select(VoucherUse.voucher_id).where(
            VoucherUse.institution_id == user.organisation_id
        )
        query = query.where(col(Voucher.id).in_(used_here))
    return (await session.exec(query)).all()


async def redeem_voucher_uses(
    session: AsyncSession, user: AppUser, voucher_id: uuid.UUID
) -> tuple[Voucher, Decimal]:
    """The institution redeems its confirmed uses of a voucher with the bureau."""
    voucher = await session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound(f"Voucher {voucher_id} not found")
    uses = list(
        (
            await session.exec(
                select(VoucherUse).where(
                    VoucherUse.voucher_id == voucher_id,
                    VoucherUse.institution_id == user.organisation_id,
                )
            )
        ).all()
    )
    if not uses and not is_platform_admin(user):
        raise NotFound(f"Voucher {voucher_id} not found")
    redeemed = Decimal("0.00")
    now = datetime.now(UTC)
    for use in uses:
        if use.status == VoucherStatus.CONFIRMED_USED.value:
            use.status = VoucherStatus.REDEEMED
            use.redeemed_at = now
            redeemed += Decimal(use.amount)
            session.add(use)
    await session.flush()
    open_uses = (
        await session.exec(
            select(VoucherUse).where(
                VoucherUse.voucher_id == voucher_id,
                VoucherUse.status == VoucherStatus.CONFIRMED_USED.value,
            )
        )
    ).first()
    # Fully redeemed once nothing is left to spend and every use has been settled.
    if open_uses is None and Decimal(voucher.balance) == 0:
        voucher.status = VoucherStatus.REDEEMED
        session.add(voucher)
        await session.flush()
    return voucher, redeemed
