"""Phase 1: freeze control limits from a baseline the quality engineer selects.

The baseline is a range of chart positions; points in it may be excluded for an assignable
cause, each with its reason, which the limits version keeps. A version is never changed once
written: new limits are a new version, and from then on every new point is judged against it
(Phase 2) and records the version it was judged against. Points plotted before the version
existed keep the version they had (or none).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.inspection.charts import ChartKind, Limits, compute_limits
from server.inspection.models import chart_state_table, limits_table, point_table, result_table
from server.inspection.service import Characteristic

__all__ = ["Exclusion", "LimitsVersion", "freeze_limits"]


@dataclass(frozen=True, slots=True)
class Exclusion:
    position: int
    reason: str


@dataclass(frozen=True, slots=True)
class LimitsVersion:
    version: int
    limits: Limits
    baseline_first: int
    baseline_last: int
    exclusions: tuple[Exclusion, ...]


async def freeze_limits(
    session: AsyncSession,
    characteristic: Characteristic,
    first: int,
    last: int,
    exclusions: list[Exclusion],
    *,
    note: str | None,
    user_id: uuid.UUID | None,
) -> LimitsVersion:
    """Compute limits from points ``first..last`` less the exclusions; store the next version.

    Raises ``ValueError`` (with the reason) when the baseline cannot give limits.
    """
    if last < first:
        raise ValueError("the baseline's last point comes before its first")
    conn = await session.connection()
    excluded = {e.position for e in exclusions}
    outside = sorted(p for p in excluded if not first <= p <= last)
    if outside:
        raise ValueError(f"excluded points {outside} are not in the baseline {first}..{last}")
    cid = characteristic.id
    # Lock the chart: no point is plotted against an old version while this one is written.
    await conn.execute(
        select(chart_state_table.c.characteristic_id)
        .where(chart_state_table.c.characteristic_id == cid)
        .with_for_update()
    )
    if characteristic.chart is ChartKind.IMR:
        rows = await conn.execute(
            select(point_table.c.position, point_table.c.location)
            .where(
                point_table.c.characteristic_id == cid,
                point_table.c.position.between(first, last),
            )
            .order_by(point_table.c.position)
        )
        subgroups = [[float(v)] for pos, v in rows if pos not in excluded]
    else:
        rows = await conn.execute(
            select(result_table.c.point_position, result_table.c.value)
            .where(
                result_table.c.characteristic_id == cid,
                result_table.c.point_position.between(first, last),
            )
            .order_by(result_table.c.point_position, result_table.c.id)
        )
        grouped: dict[int, list[float]] = defaultdict(list)
        for pos, v in rows:
            if pos not in excluded:
                grouped[int(pos)].append(float(v))
        subgroups = [grouped[p] for p in sorted(grouped)]
    limits = compute_limits(characteristic.chart, characteristic.subgroup_size, subgroups)
    version = (
        int(
            (
                await conn.execute(
                    select(func.coalesce(func.max(limits_table.c.version), 0)).where(
                        limits_table.c.characteristic_id == cid
                    )
                )
            ).scalar_one()
        )
        + 1
    )
    await conn.execute(
        insert(limits_table).values(
            characteristic_id=cid, version=version, chart=limits.chart.value,
            subgroup_size=limits.subgroup_size, center=limits.center, ucl=limits.ucl,
            lcl=limits.lcl, spread_center=limits.spread_center, spread_ucl=limits.spread_ucl,
            spread_lcl=limits.spread_lcl, sigma_within=limits.sigma_within,
            sigma_estimator=limits.sigma_estimator, points=limits.points,
            baseline_first=first, baseline_last=last,
            exclusions=[{"position": e.position, "reason": e.reason} for e in exclusions],
            note=note, created_by=user_id,
        )
    )  # fmt: skip
    await conn.execute(
        update(chart_state_table)
        .where(chart_state_table.c.characteristic_id == cid)
        .values(limits_version=version, rule_state=None)
    )
    return LimitsVersion(version, limits, first, last, tuple(exclusions))
