"""Instrument states (off, idle, running, fault, offline) derived from telemetry.

A rule per instrument (table ``instrument_state_rule``, JSON) names the signals:

- ``status``: a status register channel and the state each value means;
- ``power``: a power channel with hysteresis thresholds (enter "running" at
  ``running_enter``, leave it only below ``running_exit``; likewise for "off");
- ``loop_faults``: points read as 4-20 mA loops; while the newest sample of any of them
  carries a NAMUR NE 43 loop fault (quality ``loop_low_fault`` / ``loop_high_fault``, no
  value), the instrument is in "fault", whatever the status register or power say;
- ``offline_after_s``: no sample of the rule's channels for this long means "offline";
- ``min_dwell_s``: a new state must hold this long before it counts, so a blip of one
  sample does not cut the timeline into slivers. The interval then starts when the
  condition began, not when the dwell ran out, so "actual use" is not shortened.

A loop fault wins; then the status register when it has a mapped value; power is the
fallback. Evaluation runs
in the server's scheduler (``server.telemetry.jobs``) every few seconds: it reads the
samples newer than its cursor and appends to ``instrument_state_interval``. Intervals never
overlap (exclusion constraint), ``end_at`` is null for the current one. Samples older than
the cursor do not rewrite history, with one exception: when a gateway's spool delivers
samples that fall inside an "offline" interval the evaluator itself opened, that interval
is withdrawn and the period is evaluated from the real samples.
"""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import QUALITY_CODES, Quality

__all__ = [
    "EvaluatorMemory",
    "InstrumentState",
    "LoopFaultRule",
    "PowerRule",
    "StateChange",
    "StateInterval",
    "StateRule",
    "StatusRule",
    "Transition",
    "derive_transitions",
    "ensure_rule",
    "evaluate_all",
    "evaluate_instrument",
    "get_rule",
    "loop_fault_key",
    "set_rule",
    "state_intervals",
]

log = logging.getLogger("labshare.states")

# First evaluation of a new rule looks this far back instead of at all history.
INITIAL_LOOKBACK = timedelta(days=1)
# Samples read per instrument per run; the rest waits for the next run.
MAX_SAMPLES_PER_RUN = 200_000
# Stored quality codes of a 4-20 mA loop fault (NAMUR NE 43), as the gateway reports it.
_LOOP_FAULT_CODES = frozenset(
    QUALITY_CODES[q] for q in (Quality.LOOP_LOW_FAULT, Quality.LOOP_HIGH_FAULT)
)


class InstrumentState(StrEnum):
    OFF = "off"
    IDLE = "idle"
    RUNNING = "running"
    FAULT = "fault"
    OFFLINE = "offline"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusRule(_Rule):
    point: str = Field(min_length=1, description="point_key of the status register channel")
    device: str | None = None
    map: dict[int, InstrumentState] = Field(min_length=1)


class PowerRule(_Rule):
    point: str = Field(min_length=1, description="point_key of the power channel")
    device: str | None = None
    running_enter: float
    running_exit: float
    off_enter: float
    off_exit: float

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.running_exit > self.running_enter:
            raise ValueError("running_exit must not exceed running_enter (hysteresis)")
        if self.off_enter > self.off_exit:
            raise ValueError("off_exit must not be below off_enter (hysteresis)")
        if self.off_exit > self.running_exit:
            raise ValueError("off_exit must not exceed running_exit")
        return self


class LoopFaultRule(_Rule):
    """A 4-20 mA loop point whose NE 43 fault signal puts the instrument in "fault"."""

    point: str = Field(min_length=1, description="point_key of a channel read as a 4-20 mA loop")
    device: str | None = None


class StateRule(_Rule):
    status: StatusRule | None = None
    power: PowerRule | None = None
    loop_faults: tuple[LoopFaultRule, ...] = Field(
        default=(),
        description=(
            "4-20 mA loop points: while the newest sample of any of them is a NAMUR NE 43 loop"
            " fault (loop_low_fault / loop_high_fault), the state is fault"
        ),
    )
    offline_after_s: float = Field(default=60.0, gt=0)
    min_dwell_s: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _has_signal(self) -> Self:
        if self.status is None and self.power is None and not self.loop_faults:
            raise ValueError("a state rule needs a status, a power or a loop-fault signal")
        return self

    def signals(self) -> list[StatusRule | PowerRule | LoopFaultRule]:
        value_signals = [s for s in (self.status, self.power) if s is not None]
        return [*value_signals, *self.loop_faults]


def loop_fault_key(point: str) -> str:
    """The sample key that says whether ``point``'s loop is in fault (1.0) or not (0.0).

    Point keys never contain ``#`` (``mqtt_contract.v1.KEY_PATTERN``), so the key cannot clash
    with a point's own value, and the evaluator's memory keeps it like any other value.
    """
    return f"{point}#loop_fault"


@dataclass(frozen=True, slots=True)
class StateInterval:
    """One stretch of a state; ``end_at`` is None for the current one."""

    instrument_id: uuid.UUID
    state: InstrumentState
    start_at: datetime
    end_at: datetime | None


@dataclass(frozen=True, slots=True)
class Transition:
    at: datetime
    state: InstrumentState


@dataclass(frozen=True, slots=True)
class StateChange:
    instrument_id: uuid.UUID
    state: InstrumentState
    at: datetime


@dataclass(slots=True)
class EvaluatorMemory:
    """What the evaluator carries from one run to the next."""

    current: InstrumentState | None = None
    current_since: datetime | None = None
    signal_state: InstrumentState | None = None
    pending: InstrumentState | None = None
    pending_since: datetime | None = None
    last_sample_at: datetime | None = None
    last_values: dict[str, float | None] = field(default_factory=dict)


def _classify(
    rule: StateRule, values: dict[str, float | None], previous: InstrumentState | None
) -> InstrumentState | None:
    if any(values.get(loop_fault_key(f.point)) for f in rule.loop_faults):
        return InstrumentState.FAULT
    if rule.status is not None:
        raw = values.get(rule.status.point)
        if raw is not None:
            mapped = rule.status.map.get(round(raw))
            if mapped is not None:
                return mapped
    if rule.power is not None:
        power = values.get(rule.power.point)
        if power is not None:
            p = rule.power
            running = (
                power >= p.running_exit
                if previous is InstrumentState.RUNNING
                else power >= p.running_enter
            )
            if running:
                return InstrumentState.RUNNING
            off = power <= p.off_exit if previous is InstrumentState.OFF else power <= p.off_enter
            return InstrumentState.OFF if off else InstrumentState.IDLE
    return previous


def derive_transitions(
    rule: StateRule,
    memory: EvaluatorMemory,
    samples: Iterable[tuple[datetime, str, float | None]],
    now: datetime,
) -> list[Transition]:
    """Feed time-ordered ``(ts, point, value)`` samples through ``rule``; updates ``memory``.

    A loop point's fault arrives as a sample keyed :func:`loop_fault_key` with 1.0 (fault)
    or 0.0 (a sample without loop fault).
    """
    offline_after = timedelta(seconds=rule.offline_after_s)
    dwell = timedelta(seconds=rule.min_dwell_s)
    transitions: list[Transition] = []

    def switch(at: datetime, state: InstrumentState) -> None:
        memory.current, memory.current_since = state, at
        memory.pending = memory.pending_since = None
        transitions.append(Transition(at, state))

    def go_offline_if_silent(until: datetime) -> None:
        last = memory.last_sample_at
        if last is not None and until - last > offline_after:
            if memory.current is not InstrumentState.OFFLINE:
                switch(last + offline_after, InstrumentState.OFFLINE)
            memory.pending = memory.pending_since = None

    for ts, group in itertools.groupby(samples, key=lambda s: s[0]):
        go_offline_if_silent(ts)
        for _, point, value in group:
            memory.last_values[point] = value
        memory.last_sample_at = ts
        signal = _classify(rule, memory.last_values, memory.signal_state)
        memory.signal_state = signal
        if signal is None:
            continue
        if signal is memory.current:
            memory.pending = memory.pending_since = None
            continue
        if memory.pending is not signal or memory.pending_since is None:
            memory.pending, memory.pending_since = signal, ts
        # The first known state needs no dwell: there is nothing to debounce against.
        if memory.current is None or ts - memory.pending_since >= dwell:
            switch(memory.pending_since, signal)
    go_offline_if_silent(now)
    return transitions


# database side


_RULE_SQL = text(
    "SELECT rule, evaluated_until, last_sample_at, signal_state, pending_state, pending_since,"
    " last_values FROM instrument_state_rule WHERE instrument_id = :id FOR UPDATE SKIP LOCKED"
)
_CURRENT_SQL = text(
    "SELECT id, state, start_at FROM instrument_state_interval"
    " WHERE instrument_id = :id AND end_at IS NULL"
)


def _state(value: Any) -> InstrumentState | None:
    return InstrumentState(value) if value else None


async def get_rule(session: AsyncSession, instrument_id: uuid.UUID) -> StateRule | None:
    connection = await session.connection()
    row = (
        await connection.execute(
            text("SELECT rule FROM instrument_state_rule WHERE instrument_id = :id"),
            {"id": instrument_id},
        )
    ).first()
    return None if row is None else StateRule.model_validate(row.rule)


async def set_rule(session: AsyncSession, instrument_id: uuid.UUID, rule: StateRule) -> None:
    """Store (or replace) the rule; a changed rule re-reads from the current interval on."""
    connection = await session.connection()
    await connection.execute(
        text(
            "INSERT INTO instrument_state_rule (instrument_id, rule) VALUES (:id, CAST(:rule AS jsonb))"
            " ON CONFLICT (instrument_id) DO UPDATE SET rule = EXCLUDED.rule, updated_at = now()"
        ),
        {"id": instrument_id, "rule": rule.model_dump_json(exclude_none=True)},
    )


async def ensure_rule(session: AsyncSession, instrument_id: uuid.UUID, rule: StateRule) -> None:
    """Store ``rule`` unless the instrument already has one (seeding keeps edits)."""
    connection = await session.connection()
    await connection.execute(
        text(
            "INSERT INTO instrument_state_rule (instrument_id, rule)"
            " VALUES (:id, CAST(:rule AS jsonb)) ON CONFLICT (instrument_id) DO NOTHING"
        ),
        {"id": instrument_id, "rule": rule.model_dump_json(exclude_none=True)},
    )


@dataclass(frozen=True, slots=True)
class _Channel:
    point: str
    value: bool  # the value is a status or power signal
    loop: bool  # its loop faults count


async def _channels(
    conn: AsyncConnection, instrument_id: uuid.UUID, rule: StateRule
) -> dict[int, _Channel]:
    rows = await conn.execute(
        text("SELECT id, device_key, point_key FROM channel WHERE instrument_id = :id"),
        {"id": instrument_id},
    )
    by_value = {(s.device, s.point) for s in (rule.status, rule.power) if s is not None}
    by_loop = {(s.device, s.point) for s in rule.loop_faults}

    def wanted(keys: set[tuple[str | None, str]], device: str, point: str) -> bool:
        return (device, point) in keys or (None, point) in keys

    channels: dict[int, _Channel] = {}
    for row in rows:
        value = wanted(by_value, row.device_key, row.point_key)
        loop = wanted(by_loop, row.device_key, row.point_key)
        if value or loop:
            channels[row.id] = _Channel(row.point_key, value, loop)
    return channels


def _samples(
    rows: Sequence[Any], channels: dict[int, _Channel]
) -> list[tuple[datetime, str, float | None]]:
    samples: list[tuple[datetime, str, float | None]] = []
    for row in rows:
        channel = channels[row.channel_id]
        if channel.value:
            samples.append((row.ts, channel.point, row.value))
        if channel.loop:
            fault = 1.0 if row.quality in _LOOP_FAULT_CODES else 0.0
            samples.append((row.ts, loop_fault_key(channel.point), fault))
    return samples


async def _withdraw_offline(
    conn: AsyncConnection, instrument_id: uuid.UUID, memory: EvaluatorMemory, interval_id: int
) -> None:
    """Undo an "offline" interval that late (spooled) samples show was not offline."""
    assert memory.current_since is not None
    await conn.execute(
        text("DELETE FROM instrument_state_interval WHERE id = :iid"), {"iid": interval_id}
    )
    previous = (
        await conn.execute(
            text(
                "UPDATE instrument_state_interval SET end_at = NULL"
                " WHERE instrument_id = :id AND end_at = :at RETURNING state, start_at"
            ),
            {"id": instrument_id, "at": memory.current_since},
        )
    ).first()
    if previous is None:
        memory.current = memory.current_since = None
    else:
        memory.current, memory.current_since = InstrumentState(previous.state), previous.start_at


async def _apply(
    conn: AsyncConnection, instrument_id: uuid.UUID, transitions: Sequence[Transition]
) -> None:
    for transition in transitions:
        closed = (
            await conn.execute(
                text(
                    "UPDATE instrument_state_interval SET end_at = :at"
                    " WHERE instrument_id = :id AND end_at IS NULL AND start_at < :at"
                    " RETURNING id"
                ),
                {"id": instrument_id, "at": transition.at},
            )
        ).first()
        if closed is None:
            # Same instant as the open interval's start: that interval never really existed.
            await conn.execute(
                text(
                    "DELETE FROM instrument_state_interval"
                    " WHERE instrument_id = :id AND end_at IS NULL"
                ),
                {"id": instrument_id},
            )
        await conn.execute(
            text(
                "INSERT INTO instrument_state_interval (instrument_id, state, start_at)"
                " VALUES (:id, :state, :at)"
            ),
            {"id": instrument_id, "state": transition.state.value, "at": transition.at},
        )


async def evaluate_instrument(
    conn: AsyncConnection, instrument_id: uuid.UUID, now: datetime
) -> list[StateChange] | None:
    """Advance one instrument's timeline to ``now``; None when another process holds it."""
    row = (await conn.execute(_RULE_SQL, {"id": instrument_id})).first()
    if row is None:
        return None
    rule = StateRule.model_validate(row.rule)
    memory = EvaluatorMemory(
        signal_state=_state(row.signal_state),
        pending=_state(row.pending_state),
        pending_since=row.pending_since,
        last_sample_at=row.last_sample_at,
        last_values=dict(row.last_values or {}),
    )
    current = (await conn.execute(_CURRENT_SQL, {"id": instrument_id})).first()
    if current is not None:
        memory.current, memory.current_since = InstrumentState(current.state), current.start_at
    channels = await _channels(conn, instrument_id, rule)
    cursor = row.evaluated_until or (now - INITIAL_LOOKBACK)
    rows = (
        await conn.execute(
            text(
                "SELECT ts, channel_id, value, quality FROM telemetry"
                " WHERE channel_id = ANY(:ids) AND ts > :cursor AND ts <= :now"
                " ORDER BY ts, channel_id LIMIT :limit"
            ),
            {"ids": list(channels), "cursor": cursor, "now": now, "limit": MAX_SAMPLES_PER_RUN},
        )
    ).all()
    samples = _samples(rows, channels)
    if (
        samples
        and current is not None
        and memory.current is InstrumentState.OFFLINE
        and memory.current_since is not None
        and samples[0][0] < memory.current_since
    ):
        await _withdraw_offline(conn, instrument_id, memory, current.id)
    # A truncated read must not declare "offline" for the part not read yet.
    horizon = samples[-1][0] if len(rows) == MAX_SAMPLES_PER_RUN else now
    transitions = derive_transitions(rule, memory, samples, horizon)
    await _apply(conn, instrument_id, transitions)
    await conn.execute(
        text(
            "UPDATE instrument_state_rule SET evaluated_until = :until,"
            " last_sample_at = :last, signal_state = :signal, pending_state = :pending,"
            " pending_since = :pending_since, last_values = CAST(:values AS jsonb)"
            " WHERE instrument_id = :id"
        ),
        {
            "id": instrument_id,
            "until": samples[-1][0] if samples else cursor,
            "last": memory.last_sample_at,
            "signal": memory.signal_state.value if memory.signal_state else None,
            "pending": memory.pending.value if memory.pending else None,
            "pending_since": memory.pending_since,
            "values": json.dumps(memory.last_values),
        },
    )
    return [StateChange(instrument_id, t.state, t.at) for t in transitions]


async def evaluate_all(conn: AsyncConnection, now: datetime) -> list[StateChange]:
    """One evaluation run over every instrument with a rule, one transaction each."""
    ids = [
        r.instrument_id
        for r in await conn.execute(text("SELECT instrument_id FROM instrument_state_rule"))
    ]
    await conn.commit()
    changes: list[StateChange] = []
    for instrument_id in ids:
        try:
            result = await evaluate_instrument(conn, instrument_id, now)
            await conn.commit()
        except Exception:
            await conn.rollback()
            log.exception("state evaluation failed for instrument %s", instrument_id)
            continue
        changes.extend(result or ())
    return changes


async def state_intervals(
    session: AsyncSession, instrument_id: uuid.UUID, start: datetime, end: datetime
) -> list[StateInterval]:
    """Intervals overlapping ``[start, end)``, oldest first, not clipped; ``end_at`` None = now."""
    connection = await session.connection()
    rows = await connection.execute(
        text(
            "SELECT state, start_at, end_at FROM instrument_state_interval"
            " WHERE instrument_id = :id AND start_at < :end"
            " AND (end_at IS NULL OR end_at > :start) ORDER BY start_at"
        ),
        {"id": instrument_id, "start": start, "end": end},
    )
    return [
        StateInterval(instrument_id, InstrumentState(r.state), r.start_at, r.end_at) for r in rows
    ]
