"""``GET /api/v1/catalogue/instruments``: the public catalogue (login optional)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel

from server.auth.dependencies import OptionalUser
from server.auth.tenancy import is_enterprise, is_platform_admin
from server.calibration.status import CalibrationState
from server.catalog.visibility import redact_instrument
from server.core.errors import ValidationFailed
from server.core.read_replica import ReadSessionDep
from server.readmodels.catalogue_search import (
    CatalogueItem,
    CatalogueQuery,
    SortKey,
    catalogue_facets,
    search_catalogue,
)

__all__ = ["CatalogueItem", "router"]

router = APIRouter(tags=["catalog"])


class CatalogueResults(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[CatalogueItem]


@router.get(
    "/catalogue/instruments", response_model=CatalogueResults, response_model_exclude_unset=True
)
async def search(
    request: Request,
    session: ReadSessionDep,
    user: OptionalUser,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="words in Chinese or English; synonyms, abbreviations (电镜, XRD, ICP-MS) "
            "and pinyin initials (dzxwj) count too",
        ),
    ] = None,
    category: str | None = None,
    parameter: Annotated[str | None, Query(description="a parameter in the CMA scope")] = None,
    standard: Annotated[str | None, Query(description="a standard number, e.g. GB/T 2423")] = None,
    institution_id: uuid.UUID | None = None,
    city: str | None = None,
    calibration: CalibrationState | None = None,
    live_state: str | None = None,
    free_from: AwareDatetime | None = None,
    free_to: AwareDatetime | None = None,
    sort: SortKey = SortKey.NAME,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CatalogueResults:
    """Search open instruments; staff also see their own institution's closed ones."""
    if (free_from is None) != (free_to is None):
        raise ValidationFailed.for_field("free_to", "give free_from and free_to together")
    if free_from is not None and free_to is not None and free_to <= free_from:
        raise ValidationFailed.for_field("free_to", "must be after free_from")
    clock = getattr(request.app.state, "clock", None)
    now = clock() if clock is not None else datetime.now(UTC)
    own = None
    if user is not None and not is_enterprise(user):
        own = user.organisation_id
    result = await search_catalogue(
        session,
        CatalogueQuery(
            now=now,
            text=q,
            category=category,
            parameter=parameter,
            standard=standard,
            institution_id=institution_id,
            city=city,
            calibration=calibration.value if calibration else None,
            live_state=live_state,
            free_from=free_from,
            free_to=free_to,
            sort=sort,
            page=page,
            page_size=page_size,
            see_all=user is not None and is_platform_admin(user),
            own_organisation_id=own,
        ),
    )
    return CatalogueResults(
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        items=[
            CatalogueItem.model_validate(
                redact_instrument(hit.model_dump(), user, hit.organisation_id)
            )
            for hit in result.items
        ],
    )


class CatalogueFacetsOut(BaseModel):
    categories: list[str]
    cities: list[str]


@router.get("/catalogue/facets", response_model=CatalogueFacetsOut)
async def facets(session: ReadSessionDep, user: OptionalUser) -> CatalogueFacetsOut:
    """Categories and cities of the instruments the reader's catalogue holds (filter choices)."""
    own = user.organisation_id if user is not None and not is_enterprise(user) else None
    result = await catalogue_facets(
        session,
        see_all=user is not None and is_platform_admin(user),
        own_organisation_id=own,
    )
    return CatalogueFacetsOut(categories=result.categories, cities=result.cities)
