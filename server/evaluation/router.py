"""``/api/v1/evaluation``: sharing metrics, sensor coverage, reconciliation and the yearly report.

The platform admin sees every institution; an institution's staff see their own institution
only; enterprises see none of it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.auth.dependencies import CurrentUser
from server.auth.models import AppUser
from server.auth.tenancy import is_platform_admin, may_see_organisation
from server.core.errors import (
    Forbidden,
    NotFound,
    ValidationFailed,
    content_responses,
    problem_responses,
)
from server.core.read_replica import ReadConnection, current_lsn
from server.evaluation import queries
from server.evaluation.aggregates import refresh_state_days
from server.evaluation.calendar import Period, calendar_known
from server.evaluation.coverage import sensor_coverage
from server.evaluation.metrics import (
    NATIONAL_REFERENCE,
    Level,
    Scope,
    compute_metrics,
    monthly_hours,
)
from server.evaluation.reconciliation import check_bookings, evidence, roll_up
from server.evaluation.report import XLSX_TYPE, Report, build_report, report_pdf, report_xlsx

__all__ = ["router"]

router = APIRouter(prefix="/evaluation", tags=["evaluation"])

MAX_PERIOD_DAYS = 5 * 366


def _now() -> datetime:
    return datetime.now(UTC)


def _scope(user: AppUser, organisation_id: uuid.UUID | None, **rest: Any) -> Scope:
    if is_platform_admin(user):
        return Scope(organisation_id=organisation_id, **rest)
    target = organisation_id or user.organisation_id
    if not may_see_organisation(user, target):
        raise Forbidden("Sharing evaluation is for the platform admin and institutions' staff")
    return Scope(organisation_id=target, **rest)


def _period(date_from: date | None, date_to: date | None, year: int | None) -> Period:
    if year is not None:
        if date_from is not None or date_to is not None:
            raise ValidationFailed.for_field("year", "give either year or date_from/date_to")
        return Period.year(year)
    if date_from is None or date_to is None:
        raise ValidationFailed.for_field("date_from", "give year, or date_from and date_to")
    for name, day in (("date_from", date_from), ("date_to", date_to)):
        if not 2000 <= day.year <= 2100:
            raise ValidationFailed.for_field(name, "must be a day of the years 2000 to 2100")
    if date_to < date_from:
        raise ValidationFailed.for_field("date_to", "must not be before date_from")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise ValidationFailed.for_field("date_to", "a period spans at most five years")
    return Period(date_from, date_to)


@asynccontextmanager
async def _reads(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection for the evaluation's reads: the replica once it shows the refreshed days."""
    engine: AsyncEngine = request.app.state.engine
    async with engine.connect() as conn:
        # Queries see every state change up to now: late data queued since the job's last run too.
        await refresh_state_days(conn)
        lsn = await current_lsn(conn)
    async with ReadConnection(request, after_lsn=lsn) as reads:
        yield reads


Year = Annotated[int | None, Query(ge=2000, le=2100, description="a Beijing calendar year")]
DateFrom = Annotated[date | None, Query(description="first Beijing day, inclusive")]
DateTo = Annotated[date | None, Query(description="last Beijing day, inclusive")]


@router.get("/metrics", responses=problem_responses(403, 422))
async def metrics(
    request: Request,
    user: CurrentUser,
    level: Level = Level.INSTITUTION,
    year: Year = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    organisation_id: uuid.UUID | None = None,
    lab_id: uuid.UUID | None = None,
    instrument_id: uuid.UUID | None = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """Sharing metrics per ``level`` for a Beijing period (a year, or dates inclusive)."""
    period = _period(date_from, date_to, year)
    scope = _scope(user, organisation_id, lab_id=lab_id, instrument_id=instrument_id, city=city)
    now = _now()
    async with _reads(request) as conn:
        rows = await compute_metrics(conn, level, scope, period, now)
    return {
        "level": level.value,
        "date_from": period.first,
        "date_to": period.last,
        "computed_at": now,
        "holiday_calendar_known": calendar_known(period.first.year)
        and calendar_known(period.last.year),
        "national_reference": NATIONAL_REFERENCE,
        "rows": [asdict(r) for r in rows],
    }


@router.get("/trend", responses=problem_responses(403, 422))
async def trend(
    request: Request,
    user: CurrentUser,
    year: Annotated[int, Query(ge=2000, le=2100)],
    organisation_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Effective and external service hours per Beijing month of ``year``."""
    scope = _scope(user, organisation_id)
    now = _now()
    async with _reads(request) as conn:
        out = [
            {
                "month": month,
                "effective_hours": round(effective_s / 3600, 2),
                "external_service_hours": round(external_s / 3600, 2),
            }
            for month, effective_s, external_s in await monthly_hours(conn, scope, year, now)
        ]
        return out


@router.get("/coverage", responses=problem_responses(403, 422))
async def coverage(
    request: Request,
    user: CurrentUser,
    year: Year = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    organisation_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Share of listed instruments with a live sensor; sensors later than 30 working days."""
    period = _period(date_from, date_to, year)
    scope = _scope(user, organisation_id)
    async with _reads(request) as conn:
        result = await sensor_coverage(conn, scope, period, _now())
    return asdict(result)


@router.get("/reconciliation", responses=problem_responses(403, 422))
async def reconciliation(
    request: Request,
    user: CurrentUser,
    year: Year = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    organisation_id: uuid.UUID | None = None,
    instrument_id: uuid.UUID | None = None,
    flagged_only: bool = False,
) -> dict[str, Any]:
    """Each completed service record's claimed use beside the measured use, with flags."""
    period = _period(date_from, date_to, year)
    scope = _scope(user, organisation_id, instrument_id=instrument_id)
    async with _reads(request) as conn:
        checks = await check_bookings(conn, scope, period, _now())
    return {
        "by_institution": roll_up(checks, "institution"),
        "by_instrument": roll_up(checks, "instrument"),
        "checks": [asdict(c) for c in checks if not flagged_only or c.flag is not None],
    }


@router.get("/instruments/{instrument_id}/timeline", responses=problem_responses(403, 404, 422))
async def timeline(
    request: Request,
    user: CurrentUser,
    instrument_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """An instrument's state timeline and readings between two instants (drill-down)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed.for_field("start", "give instants with a UTC offset")
    if end <= start or (end - start).days > 31:
        raise ValidationFailed.for_field("end", "must be after start, at most 31 days later")
    async with _reads(request) as conn:
        owner = await queries.instrument_owner(conn, instrument_id)
        if owner is None:
            raise NotFound("No such instrument")
        _scope(user, owner)
        return await evidence(conn, instrument_id, start, end, _now())


ReportYear = Annotated[int, Query(ge=2000, le=2100)]


async def _report(
    request: Request, user: CurrentUser, year: ReportYear, organisation_id: uuid.UUID | None = None
) -> Report:
    """The yearly report the query asks for (a dependency of the downloads)."""
    scope = _scope(user, organisation_id)
    async with _reads(request) as conn:
        return await build_report(conn, year, scope, _now())


YearlyReport = Annotated[Report, Depends(_report)]


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/report.xlsx",
    response_class=Response,
    responses={**content_responses(XLSX_TYPE), **problem_responses(403, 422)},
)
async def report_as_xlsx(report: YearlyReport) -> Response:
    """The yearly evaluation report's data as a workbook (Chinese headings)."""
    return _download(report_xlsx(report), XLSX_TYPE, f"evaluation-{report.year}.xlsx")


@router.get(
    "/report.pdf",
    response_class=Response,
    responses={**content_responses("application/pdf"), **problem_responses(403, 422)},
)
async def report_as_pdf(report: YearlyReport) -> Response:
    """The yearly evaluation report for the file, as PDF."""
    return _download(report_pdf(report), "application/pdf", f"evaluation-{report.year}.pdf")
