"""Instrument states: hysteresis, dwell and offline rules, and the stored timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.v1 import KEY_PATTERN, QUALITY_CODES, Quality
from server.telemetry.states import (
    EvaluatorMemory,
    InstrumentState,
    LoopFaultRule,
    PowerRule,
    StateRule,
    StatusRule,
    derive_transitions,
    evaluate_instrument,
    loop_fault_key,
    set_rule,
    state_intervals,
)
from tests.harness.telemetry import Seeder

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
S = InstrumentState

POWER_RULE = StateRule(
    power=PowerRule(point="power", running_enter=200, running_exit=120, off_enter=5, off_exit=20),
    offline_after_s=30,
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def power_series(*values: float, step: float = 1.0) -> list[tuple[datetime, str, float | None]]:
    return [(at(i * step), "power", v) for i, v in enumerate(values)]


def states_of(transitions: list) -> list[tuple[float, InstrumentState]]:  # type: ignore[type-arg]
    return [((t.at - T0).total_seconds(), t.state) for t in transitions]


def test_power_hysteresis_keeps_running_between_exit_and_enter() -> None:
    memory = EvaluatorMemory()
    # 150 W is between exit (120) and enter (200): idle before running, running after.
    samples = power_series(150, 250, 150, 130, 100, 150)
    transitions = derive_transitions(POWER_RULE, memory, samples, now=at(5))
    assert states_of(transitions) == [(0, S.IDLE), (1, S.RUNNING), (4, S.IDLE)]


def test_off_needs_power_back_above_off_exit() -> None:
    memory = EvaluatorMemory()
    samples = power_series(3, 10, 19, 25)
    assert states_of(derive_transitions(POWER_RULE, memory, samples, now=at(3))) == [
        (0, S.OFF),
        (3, S.IDLE),
    ]


def test_min_dwell_ignores_a_blip_and_dates_a_real_change_from_its_start() -> None:
    rule = POWER_RULE.model_copy(update={"min_dwell_s": 5.0})
    memory = EvaluatorMemory()
    # One running sample at t=2 (a blip), then running from t=10 for longer than the dwell.
    values = [50, 50, 250, 50, 50, 50, 50, 50, 50, 50] + [250] * 8
    transitions = derive_transitions(rule, memory, power_series(*values), now=at(17))
    assert states_of(transitions) == [(0, S.IDLE), (10, S.RUNNING)]


def test_status_register_wins_over_power() -> None:
    rule = StateRule(
        status=StatusRule(point="status", map={0: S.OFF, 1: S.IDLE, 2: S.RUNNING, 3: S.FAULT}),
        power=POWER_RULE.power,
    )
    samples = [
        (at(0), "power", 500.0),
        (at(0), "status", 1.0),  # register says idle although power is high
        (at(1), "status", 3.0),
        (at(2), "status", 7.0),  # unmapped value: fall back to power
    ]
    transitions = derive_transitions(rule, EvaluatorMemory(), samples, now=at(2))
    assert states_of(transitions) == [(0, S.IDLE), (1, S.FAULT), (2, S.RUNNING)]


def test_silence_longer_than_offline_after_is_offline_from_last_sample_plus_timeout() -> None:
    memory = EvaluatorMemory()
    samples = [*power_series(250, 250), (at(100), "power", 250.0)]
    transitions = derive_transitions(POWER_RULE, memory, samples, now=at(200))
    assert states_of(transitions) == [
        (0, S.RUNNING),
        (31, S.OFFLINE),
        (100, S.RUNNING),
        (130, S.OFFLINE),
    ]


def test_memory_carries_hysteresis_across_runs() -> None:
    memory = EvaluatorMemory()
    derive_transitions(POWER_RULE, memory, power_series(250), now=at(0))
    # A later run with 150 W: still running, because the previous run ended running.
    later = [(at(1), "power", 150.0)]
    assert derive_transitions(POWER_RULE, memory, later, now=at(1)) == []
    assert memory.current is S.RUNNING


def test_rule_validation_names_the_problem() -> None:
    with pytest.raises(ValidationError, match="running_exit"):
        PowerRule(point="p", running_enter=100, running_exit=150, off_enter=1, off_exit=2)
    with pytest.raises(ValidationError, match="a status, a power or a loop-fault signal"):
        StateRule()


# 4-20 mA loop faults (NAMUR NE 43): a broken loop is a fault, whatever power says.

LOOP_RULE = StateRule(
    power=POWER_RULE.power,
    loop_faults=(LoopFaultRule(point="sample_temperature"),),
    offline_after_s=30,
)


def test_a_loop_fault_puts_the_instrument_in_fault_until_the_loop_reads_again() -> None:
    memory = EvaluatorMemory()
    fault = loop_fault_key("sample_temperature")
    samples = [
        (at(0), "power", 250.0),
        (at(0), fault, 0.0),
        (at(1), "power", 250.0),
        (at(1), fault, 1.0),  # the probe's loop reads 2 mA: no value, loop_low_fault
        (at(2), "power", 250.0),
        (at(2), fault, 1.0),
        (at(3), "power", 250.0),
        (at(3), fault, 0.0),  # a measurement again
    ]
    transitions = derive_transitions(LOOP_RULE, memory, samples, now=at(3))
    assert states_of(transitions) == [(0, S.RUNNING), (1, S.FAULT), (3, S.RUNNING)]


def test_the_loop_fault_is_remembered_across_runs() -> None:
    memory = EvaluatorMemory()
    fault = loop_fault_key("sample_temperature")
    derive_transitions(LOOP_RULE, memory, [(at(0), fault, 1.0)], now=at(0))
    assert memory.current is S.FAULT
    # The next run sees only power samples: the loop has not answered, so still a fault.
    assert derive_transitions(LOOP_RULE, memory, [(at(1), "power", 250.0)], now=at(1)) == []
    assert memory.current is S.FAULT


def test_a_rule_may_watch_loop_faults_alone() -> None:
    rule = StateRule(loop_faults=(LoopFaultRule(point="sample_temperature"),))
    memory = EvaluatorMemory()
    samples = [(at(0), loop_fault_key("sample_temperature"), 1.0)]
    assert states_of(derive_transitions(rule, memory, samples, now=at(0))) == [(0, S.FAULT)]
    # The fault's sample key is no point key a gateway could send (mqtt_contract KEY_PATTERN).
    assert re.fullmatch(KEY_PATTERN, loop_fault_key("sample_temperature")) is None


# database


def insert_power(seeder: Seeder, channel_id: int, points: list[tuple[float, float]]) -> None:
    with psycopg.connect(seeder.conninfo) as conn:
        conn.cursor().executemany(
            "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (%s, %s, %s, 0)",
            [(channel_id, at(s), v) for s, v in points],
        )


async def test_evaluation_stores_non_overlapping_intervals_and_booking_reads_them(
    database_url: str, seeder: Seeder
) -> None:
    gateway = seeder.gateway("gw-states", {("chamber-1", "power"): "W"})
    channel_id = gateway.channels[("chamber-1", "power")]
    instrument_id = seeder.scalar("SELECT instrument_id FROM channel WHERE id = %s", (channel_id,))
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            await set_rule(session, instrument_id, POWER_RULE)
            await session.commit()
        insert_power(seeder, channel_id, [(0, 10), (1, 300), (2, 300), (3, 300)])
        async with engine.connect() as conn:
            changes = await evaluate_instrument(conn, instrument_id, at(10))
            await conn.commit()
        assert changes is not None
        assert [c.state for c in changes] == [S.IDLE, S.RUNNING]
        # A later run after a long silence closes the running interval as offline.
        insert_power(seeder, channel_id, [(4, 300)])
        async with engine.connect() as conn:
            await evaluate_instrument(conn, instrument_id, at(100))
            await conn.commit()
        async with AsyncSession(engine) as session:
            intervals = await state_intervals(session, instrument_id, at(-60), at(200))
        assert [(i.state, i.start_at, i.end_at) for i in intervals] == [
            (S.IDLE, at(0), at(1)),
            (S.RUNNING, at(1), at(34)),
            (S.OFFLINE, at(34), None),
        ]
        # Spooled samples delivered late fill the outage: the offline guess is withdrawn.
        insert_power(seeder, channel_id, [(20, 300), (40, 300), (60, 300)])
        async with engine.connect() as conn:
            await evaluate_instrument(conn, instrument_id, at(70))
            await conn.commit()
        async with AsyncSession(engine) as session:
            intervals = await state_intervals(session, instrument_id, at(2), at(200))
        assert [(i.state, i.start_at, i.end_at) for i in intervals] == [(S.RUNNING, at(1), None)]
    finally:
        await engine.dispose()


async def test_a_stored_loop_fault_is_a_fault_state_on_the_timeline(
    database_url: str, seeder: Seeder
) -> None:
    gateway = seeder.gateway(
        "gw-loop", {("chamber-1", "power"): "W", ("chamber-1", "sample_temperature"): "degC"}
    )
    power = gateway.channels[("chamber-1", "power")]
    probe = gateway.channels[("chamber-1", "sample_temperature")]
    instrument_id = seeder.scalar("SELECT instrument_id FROM channel WHERE id = %s", (power,))
    ok, low, high = (
        QUALITY_CODES[q] for q in (Quality.OK, Quality.LOOP_LOW_FAULT, Quality.LOOP_HIGH_FAULT)
    )
    with psycopg.connect(seeder.conninfo) as conn:
        conn.cursor().executemany(
            "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (%s, %s, %s, %s)",
            [
                (power, at(0), 300.0, ok), (probe, at(0), 25.0, ok),
                (power, at(1), 300.0, ok), (probe, at(1), None, low),
                (power, at(2), 300.0, ok), (probe, at(2), None, high),
                (power, at(3), 300.0, ok), (probe, at(3), 26.0, ok),
            ],
        )  # fmt: skip
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            await set_rule(session, instrument_id, LOOP_RULE)
            await session.commit()
        async with engine.connect() as conn:
            changes = await evaluate_instrument(conn, instrument_id, at(4))
            await conn.commit()
        assert changes is not None
        assert [(c.state, c.at) for c in changes] == [
            (S.RUNNING, at(0)),
            (S.FAULT, at(1)),
            (S.RUNNING, at(3)),
        ]
    finally:
        await engine.dispose()


def test_database_refuses_overlapping_intervals(seeder: Seeder) -> None:
    seeder.gateway("gw-overlap", {("d", "power"): "W"})
    instrument_id = seeder.scalar("SELECT id FROM instrument")
    with psycopg.connect(seeder.conninfo) as conn:
        conn.execute(
            "INSERT INTO instrument_state_interval (instrument_id, state, start_at, end_at)"
            " VALUES (%s, 'running', %s, %s)",
            (instrument_id, at(0), at(60)),
        )
        with pytest.raises(psycopg.errors.ExclusionViolation):
            conn.execute(
                "INSERT INTO instrument_state_interval (instrument_id, state, start_at, end_at)"
                " VALUES (%s, 'idle', %s, %s)",
                (instrument_id, at(30), at(90)),
            )
