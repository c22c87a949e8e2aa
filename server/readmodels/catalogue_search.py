"""Catalogue search: text (Chinese and English), filters, sort and pages in one SQL statement.

Text terms (each word, widened by its synonyms and pinyin initials: server.readmodels.synonyms)
match a lower-cased ``search_text`` column that PostgreSQL keeps from the
instrument's names, model, manufacturer, category, specifications and functions; a pg_trgm
GIN index (when the extension exists) serves ``LIKE '%term%'`` for Chinese and English alike.
Calibration state, live state and free time are computed in the same statement (joins
against pre-aggregated certificates, not a probe per instrument), so a page costs two
statements (count and page) however many instruments match.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.calibration.status import DEFAULT_DUE_SOON_LEAD, CalibrationState
from server.core.booking_status import INACTIVE_STATUSES
from server.readmodels.synonyms import expand_word, looks_like_initials, names_with_initials

__all__ = [
    "CatalogueFacets",
    "CatalogueItem",
    "CataloguePage",
    "CatalogueQuery",
    "SortKey",
    "catalogue_facets",
    "search_catalogue",
]


class SortKey(StrEnum):
    NAME = "name"
    VALUE_DESC = "-original_value"
    CALIBRATION_DUE = "calibration_due"
    INSTITUTION = "institution"


_ORDER = {
    SortKey.NAME: "name, id",
    # Original values are the owning institution's (server.catalog.visibility): sorted by
    # only among the instruments whose value the reader may see, by name otherwise.
    SortKey.VALUE_DESC: "{visible_value} DESC NULLS LAST, name, id",
    SortKey.CALIBRATION_DUE: "calibration_valid_to NULLS FIRST, name, id",
    SortKey.INSTITUTION: "institution_name, name, id",
}


@dataclass(frozen=True, slots=True)
class CatalogueQuery:
    now: datetime
    text: str | None = None
    category: str | None = None
    parameter: str | None = None
    standard: str | None = None
    institution_id: uuid.UUID | None = None
    instrument_id: uuid.UUID | None = None
    city: str | None = None
    calibration: str | None = None
    live_state: str | None = None
    free_from: datetime | None = None
    free_to: datetime | None = None
    sort: SortKey = SortKey.NAME
    page: int = 1
    page_size: int = 20
    # Visibility: open instruments, plus every instrument of this institution (staff), or all.
    see_all: bool = False
    own_organisation_id: uuid.UUID | None = None
    due_soon_lead: timedelta = DEFAULT_DUE_SOON_LEAD


# One instrument of the catalogue, as the search finds it and the API lists it (no docstring:
# it would become the schema's description in the OpenAPI document).
class CatalogueItem(BaseModel):
    id: uuid.UUID
    name: str
    name_en: str | None
    model: str | None
    manufacturer: str | None
    category: str | None
    location: str | None
    is_open: bool
    # Only for the owning institution's staff and admins (server.catalog.visibility): the API
    # leaves them out, unset, for everyone else.
    original_value: Decimal | None = None
    currency: str | None = None
    service_modes: list[str]
    organisation_id: uuid.UUID
    institution_name: str
    institution_name_en: str | None
    city: str | None
    lab_name: str
    calibration_state: CalibrationState
    calibration_valid_to: datetime | None
    live_state: str | None


@dataclass(frozen=True, slots=True)
class CataloguePage:
    total: int
    page: int
    page_size: int
    items: list[CatalogueItem] = field(default_factory=list)


def _like(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _visible_value(query: CatalogueQuery) -> str:
    if query.see_all:
        return "original_value"
    if query.own_organisation_id is not None:
        return "CASE WHEN organisation_id = :own_org THEN original_value END"
    return "NULL::numeric"


async def search_catalogue(session: AsyncSession, query: CatalogueQuery) -> CataloguePage:
    params: dict[str, Any] = {
        "now": query.now,
        "lead": query.due_soon_lead,
        "limit": query.page_size,
        "offset": (query.page - 1) * query.page_size,
    }
    where: list[str] = []
    if not query.see_all:
        if query.own_organisation_id is not None:
            where.append("(i.is_open OR i.organisation_id = :own_org)")
            params["own_org"] = query.own_organisation_id
        else:
            where.append("i.is_open")
    words = (query.text or "").split()
    names: list[str] = []
    if any(looks_like_initials(word) for word in words):
        connection = await session.connection()
        names = list(
            (await connection.execute(text("SELECT DISTINCT name FROM instrument"))).scalars()
        )
    for index, word in enumerate(words):
        # Each word must match; a word matches as itself, a synonym, or pinyin initials.
        either = []
        for n, alternative in enumerate(expand_word(word)):
            either.append(f"i.search_text LIKE :term{index}_{n}")
            params[f"term{index}_{n}"] = _like(alternative)
        if looks_like_initials(word):
            either.append(f"i.name = ANY(:initials{index})")
            params[f"initials{index}"] = names_with_initials(word, names)
        where.append("(" + " OR ".join(either) + ")")
    if query.category:
        where.append("i.category = :category")
        params["category"] = query.category
    if query.institution_id:
        where.append("i.organisation_id = :institution_id")
        params["institution_id"] = query.institution_id
    if query.instrument_id:
        where.append("i.id = :instrument_id")
        params["instrument_id"] = query.instrument_id
    if query.city:
        where.append("o.city = :city")
        params["city"] = query.city
    if query.parameter or query.standard:
        scope = ["isi.instrument_id = i.id"]
        if query.parameter:
            scope.append("(lower(s.name) LIKE :parameter OR lower(s.name_en) LIKE :parameter)")
            params["parameter"] = _like(query.parameter)
        if query.standard:
            scope.append("lower(s.standard_number) LIKE :standard")
            params["standard"] = _like(query.standard)
        scope_sql = " AND ".join(scope)
        exists_sql = "EXISTS (SELECT 1 FROM instrument_scope_item isi JOIN cma_scope_item s"
        where.append(f"{exists_sql} ON s.id = isi.scope_item_id WHERE {scope_sql})")

    live_join = (
        "LEFT JOIN LATERAL (SELECT st.state FROM instrument_state_interval st "
        "WHERE st.instrument_id = i.id AND st.end_at IS NULL "
        "ORDER BY st.start_at DESC LIMIT 1) live ON true"
    )
    if query.live_state:
        where.append("live.state = :live_state")
        params["live_state"] = query.live_state

    if query.free_from is not None and query.free_to is not None:
        params["free_from"], params["free_to"] = query.free_from, query.free_to
        where.append(
            "NOT EXISTS (SELECT 1 FROM out_of_service x WHERE x.instrument_id = i.id "
            "AND x.start_at < :free_to AND (x.end_at IS NULL OR x.end_at > :free_from))"
        )
        where.append(
            "NOT EXISTS (SELECT 1 FROM maintenance_window m WHERE m.instrument_id = i.id "
            "AND m.start_at < :free_to AND m.end_at > :free_from)"
        )
        where.append(
            "(NOT i.calibration_required OR EXISTS (SELECT 1 FROM calibration_certificate c "
            "WHERE c.instrument_id = i.id AND c.result = 'pass' "
            "AND c.valid_from <= :free_from AND c.valid_to >= :free_to))"
        )
        where.append(
            "NOT EXISTS (SELECT 1 FROM booking b WHERE b.instrument_id = i.id "
            "AND b.start_at < :free_to AND b.end_at > :free_from "
            "AND b.status <> ALL(:inactive))"
        )
        params["inactive"] = [status.value for status in INACTIVE_STATUSES]

    outer: list[str] = []
    if query.calibration:
        outer.append("calibration_state = :calibration")
        params["calibration"] = query.calibration

    # Only constant fragments are joined into the text; every value is a bound parameter.
    sql = f"""
    SELECT * FROM (
        SELECT i.id, i.name, i.name_en, i.model, i.manufacturer, i.category, i.location,
               i.is_open, i.original_value, i.currency, i.service_modes, i.organisation_id,
               o.name AS institution_name, o.name_en AS institution_name_en, o.city,
               l.name AS lab_name,
               cur.valid_to AS calibration_valid_to,
               CASE
                 WHEN oos.open IS TRUE THEN 'out_of_service'
                 WHEN NOT i.calibration_required THEN 'not_required'
                 WHEN cur.valid_to IS NULL THEN 'expired'
                 WHEN cur.valid_to - :now <= :lead THEN 'due_soon'
                 ELSE 'valid'
               END AS calibration_state,
               live.state AS live_state
        FROM instrument i
        JOIN organisation o ON o.id = i.organisation_id
        JOIN lab l ON l.id = i.lab_id
        LEFT JOIN (
            SELECT c.instrument_id, max(c.valid_to) AS valid_to FROM calibration_certificate c
            WHERE c.result = 'pass' AND c.valid_from <= :now AND c.valid_to > :now
            GROUP BY c.instrument_id
        ) cur ON cur.instrument_id = i.id
        LEFT JOIN (
            SELECT DISTINCT x.instrument_id, true AS open FROM out_of_service x
            WHERE x.start_at <= :now AND (x.end_at IS NULL OR x.end_at > :now)
        ) oos ON oos.instrument_id = i.id
        {live_join}
        {"WHERE " + " AND ".join(where) if where else ""}
    ) AS hit
    {"WHERE " + " AND ".join(outer) if outer else ""}
    ORDER BY {_ORDER[query.sort].format(visible_value=_visible_value(query))}
    """  # noqa: S608
    if outer:
        count_sql = f"SELECT count(*) FROM ({sql}) AS counted"  # noqa: S608
    else:
        # Nothing filters on the computed calibration state: count the bare matches, which
        # skips the certificate and out-of-service joins for every matching instrument.
        count_sql = f"""
        SELECT count(*) FROM instrument i
        JOIN organisation o ON o.id = i.organisation_id
        {live_join if query.live_state else ""}
        {"WHERE " + " AND ".join(where) if where else ""}
        """  # noqa: S608
    connection = await session.connection()
    total = (await connection.execute(text(count_sql), params)).scalar_one()
    rows = await connection.execute(text(sql + " LIMIT :limit OFFSET :offset"), params)
    items = [CatalogueItem.model_validate(dict(row._mapping)) for row in rows]
    return CataloguePage(total=total, page=query.page, page_size=query.page_size, items=items)


@dataclass(frozen=True, slots=True)
class CatalogueFacets:
    categories: list[str]
    cities: list[str]


async def catalogue_facets(
    session: AsyncSession, *, see_all: bool, own_organisation_id: uuid.UUID | None
) -> CatalogueFacets:
    """The categories and cities the reader's catalogue holds, for the filters' choices."""
    if see_all:
        visible, params = "true", {}
    elif own_organisation_id is not None:
        visible, params = (
            "(i.is_open OR i.organisation_id = :own_org)",
            {"own_org": own_organisation_id},
        )
    else:
        visible, params = "i.is_open", {}
    connection = await session.connection()
    categories = await connection.execute(
        text(
            f"SELECT DISTINCT i.category FROM instrument i WHERE {visible} "  # noqa: S608
            "AND i.category IS NOT NULL ORDER BY 1"
        ),
        params,
    )
    cities = await connection.execute(
        text(
            "SELECT DISTINCT o.city FROM instrument i JOIN organisation o "  # noqa: S608
            f"ON o.id = i.organisation_id WHERE {visible} AND o.city IS NOT NULL ORDER BY 1"
        ),
        params,
    )
    return CatalogueFacets(
        categories=[str(c) for c in categories.scalars()], cities=[str(c) for c in cities.scalars()]
    )
