"""``/api/v1`` cost models, charges, vouchers and statements."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from server.auth.dependencies import CurrentUser
from server.auth.models import Organisation, OrganisationKind
from server.auth.tenancy import is_enterprise, is_platform_admin, may_manage_organisation
from server.billing import service
from server.billing.fees import depreciation_per_hour, round_fen
from server.billing.models import UserCategory
from server.billing.statements import statement_lines, statement_parties, to_csv, to_xlsx
from server.catalog import service as catalog
from server.core.db import SessionDep
from server.core.errors import Forbidden, NotFound, ValidationFailed, content_responses
from server.core.validators import Text, YearMonth

__all__ = ["router"]

router = APIRouter(tags=["billing"])

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Factor = Annotated[Decimal, Field(ge=0, le=10, max_digits=6, decimal_places=4)]


class CostModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consumables_per_hour: Money = Decimal("0")
    staff_service_per_hour: Money = Decimal("0")
    annual_depreciation: Money = Decimal("0")
    rated_annual_hours: Annotated[int, Field(gt=0, le=8784)] = 1600
    other_per_hour: Money = Decimal("0")
    per_sample_fee: Money = Decimal("0")
    factors: dict[UserCategory, Factor] = Field(default_factory=dict)


class CostModelOut(BaseModel):
    instrument_id: uuid.UUID
    consumables_per_hour: Decimal
    staff_service_per_hour: Decimal
    annual_depreciation: Decimal
    rated_annual_hours: int
    depreciation_per_hour: Decimal
    other_per_hour: Decimal
    per_sample_fee: Decimal
    factors: dict[str, Decimal]
    # The published fee per hour: category -> mode (self_operated / staff_operated) -> CNY/h.
    hourly_fees: dict[str, dict[str, Decimal]]
    published_at: datetime


class VoucherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[Text, Field(min_length=3, max_length=64)]
    issuer: Annotated[Text, Field(min_length=1, max_length=200)]
    holder_organisation_id: uuid.UUID
    face_value: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    valid_from: date
    valid_to: date
    regions: list[Annotated[Text, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class VoucherOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    issuer: str
    holder_organisation_id: uuid.UUID
    face_value: Decimal
    balance: Decimal
    valid_from: date
    valid_to: date
    regions: list[str]
    status: str


class RedeemOut(BaseModel):
    voucher: VoucherOut
    redeemed_amount: Decimal


async def _cost_out(session: SessionDep, instrument_id: uuid.UUID) -> CostModelOut:
    model, factors = await service.cost_model_of(session, instrument_id)
    return CostModelOut(
        instrument_id=instrument_id,
        consumables_per_hour=model.consumables_per_hour,
        staff_service_per_hour=model.staff_service_per_hour,
        annual_depreciation=model.annual_depreciation,
        rated_annual_hours=model.rated_annual_hours,
        depreciation_per_hour=round_fen(
            depreciation_per_hour(Decimal(model.annual_depreciation), model.rated_annual_hours)
        ),
        other_per_hour=model.other_per_hour,
        per_sample_fee=model.per_sample_fee,
        factors=factors,
        hourly_fees=service.published_hourly_fees(model, factors),
        published_at=model.published_at,
    )


@router.get("/instruments/{instrument_id}/cost-model", response_model=CostModelOut)
async def get_cost_model(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID
) -> CostModelOut:
    """The published cost accounting behind the fee (public to everyone who sees the instrument)."""
    await catalog.get_visible_instrument(session, user, instrument_id)
    return await _cost_out(session, instrument_id)


@router.put("/instruments/{instrument_id}/cost-model", response_model=CostModelOut)
async def put_cost_model(
    session: SessionDep, user: CurrentUser, instrument_id: uuid.UUID, body: CostModelIn
) -> CostModelOut:
    instrument = await catalog.get_visible_instrument(session, user, instrument_id)
    if not may_manage_organisation(user, instrument.organisation_id):
        if is_enterprise(user):
            raise NotFound(f"Instrument {instrument_id} not found")
        raise Forbidden("Only the lab manager publishes the cost model")
    await service.set_cost_model(
        session,
        user,
        instrument,
        body.model_dump(exclude={"factors"}),
        {k.value: v for k, v in body.factors.items()},
    )
    return await _cost_out(session, instrument_id)


@router.get("/vouchers", response_model=list[VoucherOut])
async def vouchers(session: SessionDep, user: CurrentUser) -> list[VoucherOut]:
    return [VoucherOut.model_validate(v) for v in await service.list_vouchers(session, user)]


@router.post("/vouchers", response_model=VoucherOut, status_code=status.HTTP_201_CREATED)
async def issue(session: SessionDep, user: CurrentUser, body: VoucherIn) -> VoucherOut:
    return VoucherOut.model_validate(await service.issue_voucher(session, user, body.model_dump()))


@router.post("/vouchers/{voucher_id}/redeem", response_model=RedeemOut)
async def redeem(session: SessionDep, user: CurrentUser, voucher_id: uuid.UUID) -> RedeemOut:
    """The institution settles its confirmed voucher uses with the issuing bureau."""
    if is_enterprise(user):
        raise NotFound(f"Voucher {voucher_id} not found")
    voucher, amount = await service.redeem_voucher_uses(session, user, voucher_id)
    return RedeemOut(voucher=VoucherOut.model_validate(voucher), redeemed_amount=amount)


class StatementPartyOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: Literal["enterprise", "institution"]
    city: str | None
    latest_month: str | None = Field(description="YYYY-MM of the latest charge, if any")


@router.get("/statements/organisations", response_model=list[StatementPartyOut])
async def statement_organisations(
    session: SessionDep, user: CurrentUser
) -> list[StatementPartyOut]:
    """Organisations the user may draw statements for, each with its latest month with charges.

    A platform admin gets every enterprise and institution; anyone else their own one.
    """
    only = None if is_platform_admin(user) else user.organisation_id
    return [
        StatementPartyOut.model_validate(asdict(party))
        for party in await statement_parties(session, only=only)
    ]


@router.get(
    "/statements",
    responses=content_responses(
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
)
async def statement(
    session: SessionDep,
    user: CurrentUser,
    month: Annotated[YearMonth, Query()],
    format: Literal["json", "csv", "xlsx"] = "json",
    organisation_id: uuid.UUID | None = None,
) -> Response:
    """Monthly statement of the user's organisation (platform admins choose one)."""
    org_id = organisation_id or user.organisation_id
    if org_id != user.organisation_id and not is_platform_admin(user):
        raise NotFound(f"Organisation {org_id} not found")
    organisation = await session.get(Organisation, org_id)
    if organisation is None:
        raise NotFound(f"Organisation {org_id} not found")
    if organisation.kind == OrganisationKind.PLATFORM.value:
        raise ValidationFailed.for_field("organisation_id", "choose an enterprise or institution")
    side: Literal["enterprise", "institution"] = (
        "enterprise" if organisation.kind == OrganisationKind.ENTERPRISE.value else "institution"
    )
    lines = await statement_lines(session, side=side, organisation_id=org_id, month=month)
    filename = f"labshare-statement-{month}-{side}"
    if format == "csv":
        return Response(
            to_csv(lines),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if format == "xlsx":
        return Response(
            to_xlsx(lines, f"{month} {side}"),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    return JSONResponse(
        jsonable_encoder(
            {
                "organisation_id": org_id,
                "side": side,
                "month": month,
                "lines": [asdict(line) for line in lines],
                "total": sum((line.amount for line in lines), Decimal("0.00")),
                "voucher_total": sum((line.voucher_amount for line in lines), Decimal("0.00")),
                "enterprise_total": sum(
                    (line.enterprise_amount for line in lines), Decimal("0.00")
                ),
            },
            # Money stays exact: strings, as everywhere else in the API, never floats.
            custom_encoder={Decimal: str},
        )
    )
