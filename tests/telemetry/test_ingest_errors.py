"""Failures while handling a message set that message aside and nothing else.

``ingest_error`` is the dead letter of a message whose handling raised something the worker
did not anticipate. No valid input is known to cause one (unit strings that crash pint's
parser used to, see below), so the fault is put into the unit converter the worker holds,
the object that turns every series into rows.
"""

from __future__ import annotations

import time
import uuid

import pytest

from mqtt_contract.v1 import Sample, Series, TelemetryBatch, TopicKind, encode, topic_for
from server.telemetry.units import Conversion, IncompatibleUnitError, UnitConverter
from tests.harness.telemetry import Publisher, Seeder, WorkerFactory, eventually

CHAMBER = {("chamber-1", "temperature"): "degC", ("chamber-1", "power"): "W"}


class _ConverterFault(RuntimeError):
    """What a defect in the conversion of one unit raises."""


class FaultyConverter(UnitConverter):
    """A converter with a defect for one unit, such as a broken cache entry would cause."""

    def __init__(self, broken_unit: str) -> None:
        super().__init__()
        self.broken_unit = broken_unit

    def conversion(self, unit: str, canonical: str) -> Conversion:
        if unit == self.broken_unit:
            raise _ConverterFault(f"conversion table entry for {unit!r} is corrupt")
        return super().conversion(unit, canonical)


def now_ms() -> int:
    return int(time.time() * 1000)


def series(point: str, unit: str, first_seq: int, count: int, start_ms: int) -> Series:
    return Series(
        device="chamber-1",
        point=point,
        unit=unit,
        samples=[
            Sample(seq=first_seq + i, ts_ms=start_ms + i * 1000, value=20.0 + i)
            for i in range(count)
        ],
    )


def payload(gateway: str, *parts: Series) -> bytes:
    return encode(TelemetryBatch(gateway=gateway, sent_at_ms=now_ms(), series=list(parts)))


@pytest.mark.parametrize("unit", ["m/0", "degC/0", "1/0", "(", "]"])
def test_unit_strings_that_crash_the_unit_parser_are_incompatible(unit: str) -> None:
    with pytest.raises(IncompatibleUnitError, match="is not a known unit"):
        UnitConverter().conversion(unit, "degC")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "unit",
    ["10**10**10", "((((10**99)**99)**99)**99)**99", "10⁹⁹⁹⁹⁹⁹⁹⁹⁹", "m**(9**9**9)", "2 m"],
)
def test_unit_strings_that_would_stall_the_unit_parser_are_refused_at_once(unit: str) -> None:
    # pint would compute these numbers in full (billions of digits) on the ingest loop.
    with pytest.raises(IncompatibleUnitError, match="is not a known unit"):
        UnitConverter().conversion(unit, "degC")


@pytest.mark.parametrize(
    ("unit", "canonical", "reading", "expected"),
    [("1/s", "Hz", 5.0, 5.0), ("s^-1", "Hz", 5.0, 5.0), ("W/m**2", "W/cm²", 1e4, 1.0),
     ("km/h", "m/s", 36.0, 10.0)],
)  # fmt: skip
def test_units_with_exponents_and_the_one_of_per_second_still_convert(
    unit: str, canonical: str, reading: float, expected: float
) -> None:
    assert UnitConverter().conversion(unit, canonical).apply(reading) == pytest.approx(expected)


@pytest.mark.integration
async def test_an_unexpected_failure_sets_aside_only_its_message(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = f"gw-{uuid.uuid4().hex[:10]}"
    gateway = seeder.gateway(key, CHAMBER)
    # Collect the first three messages into one write batch, so the failure has to be isolated.
    worker = await start_worker(max_wait_s=1.0)
    worker.converter = FaultyConverter("degF")
    topic = topic_for(key, TopicKind.TELEMETRY)
    t0 = now_ms() - 60_000
    before = payload(key, series("temperature", "degC", 1, 5, t0))
    culprit = payload(
        key,
        series("power", "kW", 6, 2, t0 + 5_000),
        series("temperature", "degF", 8, 2, t0 + 5_000),
    )
    after = payload(key, series("temperature", "degC", 10, 5, t0 + 10_000))
    publisher.publish_many([(topic, before), (topic, culprit), (topic, after)])
    await eventually(lambda: worker.stats.messages_written == 3, what="three messages handled")

    [(letter_topic, letter_gateway, reason, raw)] = seeder.query(
        "SELECT topic, gateway_key, reason, payload FROM dead_letter"
    )
    assert letter_topic == topic
    assert letter_gateway == key
    assert reason.startswith("ingest_error: ")
    assert "conversion table entry for 'degF' is corrupt" in reason
    # The whole raw message, its good power series included, so it can be replayed once fixed.
    assert bytes(raw) == culprit

    temperature = gateway.channels[("chamber-1", "temperature")]
    stored = seeder.query("SELECT channel_id, seq, value FROM telemetry ORDER BY seq")
    assert [(r[0], r[1]) for r in stored] == [(temperature, s) for s in [1, 2, 3, 4, 5]] + [
        (temperature, s) for s in range(10, 15)
    ]
    assert worker.stats.dead_letters == 1

    # The stream carries on: the next message is stored as usual.
    publisher.publish(topic, payload(key, series("power", "kW", 15, 1, t0 + 20_000)))
    await eventually(lambda: worker.stats.messages_written == 4, what="the next message")
    power = gateway.channels[("chamber-1", "power")]
    assert seeder.query("SELECT channel_id, value FROM telemetry WHERE seq = 15") == [
        (power, pytest.approx(20_000.0))
    ]
    assert seeder.scalar("SELECT count(*) FROM dead_letter") == 1


@pytest.mark.integration
async def test_a_unit_that_crashes_the_unit_parser_refuses_only_its_series(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = f"gw-{uuid.uuid4().hex[:10]}"
    gateway = seeder.gateway(key, CHAMBER)
    worker = await start_worker()
    topic = topic_for(key, TopicKind.TELEMETRY)
    t0 = now_ms() - 30_000
    mixed = payload(
        key,
        series("temperature", "degC", 1, 3, t0),
        series("power", "W/0", 4, 2, t0),
    )
    publisher.publish(topic, mixed)
    await eventually(lambda: worker.stats.messages_written == 1, what="the message handled")

    [(reason, raw)] = seeder.query("SELECT reason, payload FROM dead_letter")
    assert reason.startswith("incompatible_unit: series chamber-1/power: unit 'W/0'")
    assert bytes(raw) == mixed
    temperature = gateway.channels[("chamber-1", "temperature")]
    assert seeder.query("SELECT channel_id, seq FROM telemetry ORDER BY seq") == [
        (temperature, 1),
        (temperature, 2),
        (temperature, 3),
    ]
