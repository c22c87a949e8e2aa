"""Storing inspection results and judging them: chart points, Nelson tests, alarms.

One function, :func:`store_results`, serves both ways in: the ingest worker (results from a
gateway, deduplicated by ``(gateway, seq)``) and the HTTP API. It runs inside the caller's
transaction, so the results, their chart points, the rule state, the alarms and the outbox
messages of the alarms commit together or not at all. Only results stored now for the first
time are plotted and judged: a redelivered message adds nothing and raises nothing.

Per chart, the work for a new point is fixed (the tests look at the last 15 points, kept in
``inspection_chart_state``), whatever the length of the chart.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.inspection_v1 import InspectionBatch
from mqtt_contract.units import UnitProblem, affine_conversion
from server.inspection.charts import ChartKind, Limits, subgroup_stat
from server.inspection.models import (
    alarm_table,
    characteristic_table,
    chart_state_table,
    limits_table,
    result_table,
)
from server.inspection.rules import RULE_TEXT, RULE_TEXT_ZH, RuleState
from server.notifications.service import notify

__all__ = [
    "Characteristic",
    "IngestOutcome",
    "NewResult",
    "Refused",
    "StoreOutcome",
    "ingest_batch",
    "load_characteristic",
    "load_limits",
    "store_results",
]

ALARM_KIND = "inspection_alarm"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Characteristic:
    id: uuid.UUID
    organisation_id: uuid.UUID
    product: str
    key: str
    name: str
    unit: str
    lsl: float | None
    usl: float | None
    subgroup_size: int
    chart: ChartKind
    rules: tuple[int, ...]
    responsible_user_ids: tuple[uuid.UUID, ...]

    def outside(self, value: float) -> bool:
        return (self.lsl is not None and value < self.lsl) or (
            self.usl is not None and value > self.usl
        )

    @classmethod
    def from_row(cls, row: Any) -> Characteristic:
        m = row._mapping
        return cls(
            m["id"], m["organisation_id"], m["product"], m["key"], m["name"], m["unit"],
            m["lsl"], m["usl"], m["subgroup_size"], ChartKind(m["chart"]),
            tuple(m["rules"]), tuple(m["responsible_user_ids"]),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class NewResult:
    """One value to store, already in the characteristic's unit."""

    characteristic: Characteristic
    ts: datetime
    value: float
    part: str | None = None
    subgroup: str | None = None
    operator: str | None = None
    station: str | None = None
    seq: int | None = None
    client_id: str | None = None
    """The station's own id of the result (HTTP): a result posted again is stored once."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A result that is not stored, with the dead-letter reason code and its detail."""

    seq: int | None
    reason: str
    detail: str


@dataclass(slots=True)
class StoreOutcome:
    stored: int = 0
    duplicates: int = 0
    points: int = 0
    alarms_raised: list[int] = field(default_factory=list)


@dataclass(slots=True)
class IngestOutcome:
    store: StoreOutcome
    refused: list[Refused]


def convert(value: float, unit: str, target: str) -> float:
    """``value`` in ``unit`` expressed in ``target``; raises ``UnitProblem``."""
    if unit == target:
        return value
    affine = affine_conversion(unit, target)
    return affine.factor * value + affine.offset


async def _connection(session: AsyncSession) -> AsyncConnection:
    return await session.connection()


async def load_characteristic(
    session: AsyncSession, characteristic_id: uuid.UUID
) -> Characteristic | None:
    conn = await _connection(session)
    row = (
        await conn.execute(
            select(characteristic_table).where(characteristic_table.c.id == characteristic_id)
        )
    ).first()
    return None if row is None else Characteristic.from_row(row)


_LIMITS_CACHE: dict[tuple[uuid.UUID, int], Limits] = {}
"""Limits versions never change once written, so each process reads each one once."""


async def load_limits(conn: AsyncConnection, characteristic_id: uuid.UUID, version: int) -> Limits:
    cached = _LIMITS_CACHE.get((characteristic_id, version))
    if cached is not None:
        return cached
    limits = await _read_limits(conn, characteristic_id, version)
    if len(_LIMITS_CACHE) > 10_000:
        _LIMITS_CACHE.clear()
    _LIMITS_CACHE[(characteristic_id, version)] = limits
    return limits


async def _read_limits(conn: AsyncConnection, characteristic_id: uuid.UUID, version: int) -> Limits:
    row = (
        await conn.execute(
            select(limits_table).where(
                limits_table.c.characteristic_id == characteristic_id,
                limits_table.c.version == version,
            )
        )
    ).one()
    m = row._mapping
    return Limits(
        ChartKind(m["chart"]), m["subgroup_size"], m["center"], m["ucl"], m["lcl"],
        m["spread_center"], m["spread_ucl"], m["spread_lcl"], m["sigma_within"],
        m["sigma_estimator"], m["points"],
    )  # fmt: skip


async def ingest_batch(
    session: AsyncSession, gateway_id: uuid.UUID, organisation_id: uuid.UUID, batch: InspectionBatch
) -> IngestOutcome:
    """Store a gateway's inspection batch: look up, convert, refuse what cannot be stored."""
    conn = await _connection(session)
    pairs = sorted({(r.product, r.characteristic) for r in batch.results})
    rows = await conn.execute(
        select(characteristic_table).where(
            characteristic_table.c.organisation_id == organisation_id,
            text(
                "(product, key) IN (SELECT * FROM unnest(CAST(:ps AS text[]), CAST(:ks AS text[])))"
            ),
        ),
        {"ps": [p for p, _ in pairs], "ks": [k for _, k in pairs]},
    )
    found = {(c.product, c.key): c for c in map(Characteristic.from_row, rows)}
    accepted: list[NewResult] = []
    refused: list[Refused] = []
    for r in batch.results:
        characteristic = found.get((r.product, r.characteristic))
        if characteristic is None:
            refused.append(
                Refused(
                    r.seq, "unknown_characteristic",
                    f"result {r.seq}: characteristic {r.product}/{r.characteristic} is not "
                    "defined for this gateway's institution",
                )
            )  # fmt: skip
            continue
        try:
            value = convert(r.value, r.unit, characteristic.unit)
        except UnitProblem as exc:
            refused.append(
                Refused(
                    r.seq, "incompatible_unit",
                    f"result {r.seq}: {exc}",
                )
            )  # fmt: skip
            continue
        problem = subgroup_problem(characteristic, r.subgroup) or magnitude_problem(value)
        if problem:
            refused.append(Refused(r.seq, "invalid_payload", f"result {r.seq}: {problem}"))
            continue
        accepted.append(
            NewResult(
                characteristic, _EPOCH + timedelta(milliseconds=r.ts_ms), value, r.part,
                r.subgroup, r.operator, batch.station, r.seq,
            )
        )  # fmt: skip
    outcome = await store_results(session, accepted, gateway_id=gateway_id, source="mqtt")
    return IngestOutcome(outcome, refused)


MAX_MAGNITUDE = 1e12


def magnitude_problem(value: float) -> str | None:
    if not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
        return f"value {value:g} is beyond +-{MAX_MAGNITUDE:g} in the characteristic's unit"
    return None


def subgroup_problem(characteristic: Characteristic, subgroup: str | None) -> str | None:
    if characteristic.subgroup_size > 1 and subgroup is None:
        return (
            f"characteristic {characteristic.product}/{characteristic.key} is charted in "
            f"subgroups of {characteristic.subgroup_size}: the result needs a subgroup id"
        )
    return None


async def store_results(
    session: AsyncSession,
    results: Sequence[NewResult],
    *,
    gateway_id: uuid.UUID | None,
    source: str,
) -> StoreOutcome:
    """Insert ``results`` (skipping ``(gateway, seq)`` already stored) and judge the new ones."""
    outcome = StoreOutcome()
    if not results:
        return outcome
    conn = await _connection(session)
    # One statement over column arrays: no per-row SQL to build, whatever the batch size.
    # ``ord`` keeps the request order, so HTTP rows (no seq) map back to their results.
    statement = text(
        "INSERT INTO inspection_result (characteristic_id, gateway_id, seq, ts, value, part,"
        " subgroup, station, operator, source, client_id)"
        " SELECT c, CAST(:gateway AS uuid), s, t, v, p, g, CAST(:station AS text), o,"
        " CAST(:source AS text), k"
        " FROM unnest(CAST(:cids AS uuid[]), CAST(:seqs AS bigint[]), CAST(:ts AS timestamptz[]),"
        " CAST(:vals AS float8[]), CAST(:parts AS text[]), CAST(:groups AS text[]),"
        " CAST(:ops AS text[]), CAST(:keys AS text[]))"
        " WITH ORDINALITY AS r(c, s, t, v, p, g, o, k, ord)"
        " ORDER BY ord"
        # Any unique key: (gateway, seq) for gateways, (characteristic, client_id) for HTTP.
        " ON CONFLICT DO NOTHING"
        " RETURNING id, seq, client_id"
    )
    params = {
        "gateway": gateway_id,
        "station": results[0].station,
        "source": source,
        "cids": [r.characteristic.id for r in results],
        "seqs": [r.seq if gateway_id is not None else None for r in results],
        "ts": [r.ts for r in results],
        "vals": [r.value for r in results],
        "parts": [r.part for r in results],
        "groups": [r.subgroup for r in results],
        "ops": [r.operator for r in results],
        "keys": [r.client_id for r in results],
    }
    inserted = (await conn.execute(statement, params)).all()
    outcome.stored = len(inserted)
    outcome.duplicates = len(results) - len(inserted)
    if not inserted:
        return outcome
    # Map inserted rows back to results: by seq for a gateway, by order otherwise.
    if gateway_id is not None:
        by_seq = {r.seq: r for r in results}
        fresh = [(int(row[0]), by_seq[row[1]]) for row in inserted]
    else:
        # Rows come back in insertion order; a row with a station id may have been skipped.
        by_key = {(row[2]): int(row[0]) for row in inserted if row[2] is not None}
        plain = iter(int(row[0]) for row in inserted if row[2] is None)
        fresh = []
        for r in results:
            if r.client_id is None:
                fresh.append((next(plain), r))
            elif r.client_id in by_key:
                fresh.append((by_key.pop(r.client_id), r))
    per_characteristic: dict[uuid.UUID, list[tuple[int, NewResult]]] = defaultdict(list)
    for result_id, r in fresh:
        per_characteristic[r.characteristic.id].append((result_id, r))
    # Charts are locked in id order, so two workers sharing characteristics never deadlock.
    for _, items in sorted(per_characteristic.items(), key=lambda kv: str(kv[0])):
        items.sort(key=lambda item: (item[1].ts, item[0]))
        await _chart(session, conn, items, outcome)
    return outcome


@dataclass(slots=True)
class _Point:
    position: int
    subgroup: str | None
    ts: datetime
    values: list[float]
    result_ids: list[int]
    location: float
    spread: float | None
    z: float | None = None
    rules: list[int] = field(default_factory=list)
    out_of_spec: bool = False
    spread_out: bool = False


async def _chart(
    session: AsyncSession,
    conn: AsyncConnection,
    items: list[tuple[int, NewResult]],
    outcome: StoreOutcome,
) -> None:
    characteristic = items[0][1].characteristic
    cid = characteristic.id
    await conn.execute(
        pg_insert(chart_state_table).values(characteristic_id=cid).on_conflict_do_nothing()
    )
    state = (
        (
            await conn.execute(
                select(chart_state_table)
                .where(chart_state_table.c.characteristic_id == cid)
                .with_for_update()
            )
        )
        .one()
        ._mapping
    )
    position = int(state["next_position"])
    last_individual: float | None = state["last_individual"]
    version: int | None = state["limits_version"]
    limits = await load_limits(conn, cid, version) if version is not None else None
    rule_state = RuleState.from_json(state["rule_state"], characteristic.rules)
    if state["rule_state"] is None:
        rule_state.count = position

    # Group into complete subgroups (in the order they complete).
    groups: list[tuple[str | None, list[tuple[int, float, datetime]]]] = []
    if characteristic.subgroup_size == 1:
        groups = [(r.subgroup, [(rid, r.value, r.ts)]) for rid, r in items]
    else:
        touched = list(dict.fromkeys(r.subgroup for _, r in items if r.subgroup is not None))
        pending = await conn.execute(
            select(
                result_table.c.subgroup, result_table.c.id, result_table.c.value, result_table.c.ts
            )
            .where(
                result_table.c.characteristic_id == cid,
                result_table.c.point_position.is_(None),
                result_table.c.subgroup.in_(touched),
            )
            .order_by(result_table.c.id)
        )
        open_values: dict[str, list[tuple[int, float, datetime]]] = defaultdict(list)
        for subgroup, rid, value, ts in pending:
            open_values[subgroup].append((int(rid), float(value), ts))
        complete = [
            (key, vals[: characteristic.subgroup_size])
            for key, vals in open_values.items()
            if len(vals) >= characteristic.subgroup_size
        ]
        complete.sort(key=lambda g: max(rid for rid, _, _ in g[1]))
        groups = list(complete)

    points: list[_Point] = []
    for subgroup, members in groups:
        vals = [v for _, v, _ in members]
        stat = subgroup_stat(characteristic.chart, vals, last_individual)
        if characteristic.chart is ChartKind.IMR:
            last_individual = vals[0]
        point = _Point(
            position, subgroup, max(ts for _, _, ts in members), vals,
            [rid for rid, _, _ in members], stat.location, stat.spread,
        )  # fmt: skip
        point.out_of_spec = any(characteristic.outside(v) for v in vals)
        if limits is not None:
            point.spread_out = stat.spread is not None and (
                stat.spread > limits.spread_ucl
                or (limits.spread_lcl > 0 and stat.spread < limits.spread_lcl)
            )
            point.z = limits.z(stat.location)
            point.rules = sorted({v.rule for v in rule_state.add(point.z)})
        points.append(point)
        position += 1
    if points:
        await conn.execute(
            text(
                "INSERT INTO inspection_point (characteristic_id, position, subgroup, ts, n,"
                " location, spread, limits_version, z, rules, out_of_spec, spread_out)"
                " SELECT CAST(:cid AS uuid), pos, g, t, n, loc, spr, CAST(:version AS integer),"
                # z as Limits.z computes it, in the same IEEE arithmetic: cheaper than sending
                # one more float array.
                " CASE WHEN CAST(:version AS integer) IS NULL THEN NULL"
                " WHEN CAST(:sigma AS float8) > 0"
                " THEN (loc - CAST(:center AS float8)) / CAST(:sigma AS float8) ELSE 0 END,"
                " CAST(r AS smallint[]), oos, so"
                " FROM unnest(CAST(:pos AS integer[]), CAST(:groups AS text[]),"
                " CAST(:ts AS timestamptz[]), CAST(:n AS smallint[]), CAST(:loc AS float8[]),"
                " CAST(:spr AS float8[]), CAST(:rules AS text[]),"
                " CAST(:oos AS boolean[]), CAST(:so AS boolean[]))"
                " AS u(pos, g, t, n, loc, spr, r, oos, so)"
            ),
            {
                "cid": cid, "version": version if limits is not None else None,
                "pos": [p.position for p in points], "groups": [p.subgroup for p in points],
                "ts": [p.ts for p in points], "n": [len(p.values) for p in points],
                "loc": [p.location for p in points], "spr": [p.spread for p in points],
                "center": limits.center if limits is not None else None,
                "sigma": limits.point_sigma if limits is not None else None,
                "rules": ["{" + ",".join(map(str, p.rules)) + "}" for p in points],
                "oos": [p.out_of_spec for p in points], "so": [p.spread_out for p in points],
            },
        )  # fmt: skip
        ids = [rid for p in points for rid in p.result_ids]
        positions = [p.position for p in points for _ in p.result_ids]
        await conn.execute(
            text(
                "UPDATE inspection_result r SET point_position = v.pos"
                " FROM unnest(CAST(:ids AS bigint[]), CAST(:pos AS integer[])) AS v(id, pos)"
                " WHERE r.id = v.id"
            ),
            {"ids": ids, "pos": positions},
        )
        outcome.points += len(points)
    # The chart's state and the open alarms that count this batch's violations in one statement:
    # a test firing costs no extra round trip while its alarm is open (the usual case).
    wanted = _violations(points)
    keys = sorted(wanted, key=lambda key: (key[0], key[1] or 0))
    counted = (
        await conn.execute(
            _SAVE_STATE,
            {
                "cid": cid,
                "position": position,
                "last_individual": last_individual,
                "rule_state": json.dumps(rule_state.to_json()) if limits is not None else None,
                "kinds": [kind for kind, _ in keys],
                "rules": [rule for _, rule in keys],
                "more": [len(wanted[key]) for key in keys],
                "last": [wanted[key][-1].position for key in keys],
            },
        )
    ).scalar_one()
    still_open = {(str(kind), None if rule is None else int(rule)) for kind, rule in counted}
    fresh = {key: wanted[key] for key in keys if key not in still_open}
    if fresh:
        await _alarms(
            session, conn, characteristic, version if limits is not None else None, fresh, outcome
        )


_SAVE_STATE = text(
    "WITH counted AS (UPDATE inspection_alarm a SET occurrences = a.occurrences + w.more,"
    " last_position = w.last FROM unnest(CAST(:kinds AS text[]), CAST(:rules AS smallint[]),"
    " CAST(:more AS integer[]), CAST(:last AS integer[])) AS w(kind, rule, more, last)"
    " WHERE a.characteristic_id = CAST(:cid AS uuid) AND a.acknowledged_at IS NULL"
    " AND a.kind = w.kind AND a.rule IS NOT DISTINCT FROM w.rule RETURNING a.kind, a.rule)"
    " UPDATE inspection_chart_state SET next_position = CAST(:position AS integer),"
    " last_individual = CAST(:last_individual AS float8),"
    " rule_state = CAST(:rule_state AS jsonb) WHERE characteristic_id = CAST(:cid AS uuid)"
    " RETURNING (SELECT coalesce(json_agg(json_build_array(kind, rule)), '[]') FROM counted)"
)
"""The chart's state saved; every open alarm of the batch's kinds (``kinds``, ``rules``) counts
its new violations (``more``) and moves its last point; returns the ``[kind, rule]`` it counted."""


def _violations(points: Sequence[_Point]) -> dict[tuple[str, int | None], list[_Point]]:
    """What each new point violates: a test, the specification, the spread's limits."""
    wanted: dict[tuple[str, int | None], list[_Point]] = defaultdict(list)
    for p in points:
        for violated in p.rules:
            wanted[("rule", violated)].append(p)
        if p.out_of_spec:
            wanted[("out_of_spec", None)].append(p)
        if p.spread_out:
            wanted[("spread", None)].append(p)
    return wanted


async def _alarms(
    session: AsyncSession,
    conn: AsyncConnection,
    characteristic: Characteristic,
    version: int | None,
    fresh: dict[tuple[str, int | None], list[_Point]],
    outcome: StoreOutcome,
) -> None:
    """Raise an alarm per test, out-of-specification value and spread beyond its limits.

    ``fresh`` holds the violations no open alarm counted. While an alarm is open (not
    acknowledged), further violations of the same test add to its count and move its last
    point (``_SAVE_STATE``) instead of raising (and notifying) again.
    """
    cid = characteristic.id
    raised: list[tuple[int, str]] = []
    for (kind, rule), hits in fresh.items():
        last = hits[-1].position
        where = f"{characteristic.name} ({characteristic.product})"
        point = hits[0].position
        if kind == "rule":
            assert rule is not None
            message = f"{where}: Nelson test {rule}, {RULE_TEXT[rule]}, at point {point}"
            message_zh = f"{where}：判异准则 {rule}（{RULE_TEXT_ZH[rule]}），第 {point} 点起"
        elif kind == "spread":
            message = (
                f"{where}: the spread {hits[0].spread:g} {characteristic.unit} is beyond the "
                f"limits of the {_SPREAD_NAME[characteristic.chart]} chart at point {point}"
            )
            message_zh = (
                f"{where}：{_SPREAD_NAME_ZH[characteristic.chart]} {hits[0].spread:g} "
                f"{characteristic.unit} 超出控制限，第 {point} 点"
            )
        else:
            bad = [v for v in hits[0].values if characteristic.outside(v)]
            spec = f"[{_fmt(characteristic.lsl)}, {_fmt(characteristic.usl)}]"
            message = (
                f"{where}: {bad[0]:g} {characteristic.unit} is outside the specification "
                f"{spec} at point {point}"
            )
            message_zh = (
                f"{where}：{bad[0]:g} {characteristic.unit} 超出规格限 {spec}，第 {point} 点"
            )
        aid = (
            await conn.execute(
                insert(alarm_table)
                .values(
                    characteristic_id=cid, kind=kind, rule=rule,
                    positions=[h.position for h in hits], limits_version=version,
                    message=message, occurrences=len(hits), last_position=last,
                )
                .returning(alarm_table.c.id)
            )
        ).scalar_one()  # fmt: skip
        raised.append((int(aid), f"{message_zh}\n{message}"))
    if not raised:
        return
    outcome.alarms_raised.extend(aid for aid, _ in raised)
    users = await responsible_users(conn, characteristic)
    for aid, message in raised:
        await notify(
            session,
            user_ids=users,
            kind=ALARM_KIND,
            title=f"SPC 报警 SPC alarm: {characteristic.name}",
            body=message,
            data={"alarm_id": aid, "characteristic_id": cid},
        )


_SPREAD_NAME = {ChartKind.IMR: "moving range", ChartKind.XBAR_R: "range", ChartKind.XBAR_S: "S"}
_SPREAD_NAME_ZH = {ChartKind.IMR: "移动极差", ChartKind.XBAR_R: "极差", ChartKind.XBAR_S: "标准差"}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


async def responsible_users(
    conn: AsyncConnection, characteristic: Characteristic
) -> list[uuid.UUID]:
    """The characteristic's responsible users, else the institution's lab managers."""
    if characteristic.responsible_user_ids:
        return list(characteristic.responsible_user_ids)
    rows = await conn.execute(
        text(
            "SELECT id FROM app_user WHERE organisation_id = :org AND role = 'lab_manager'"
            " AND is_active ORDER BY id"
        ),
        {"org": characteristic.organisation_id},
    )
    return [row[0] for row in rows]
