"""Inspection feeds through the real Mosquitto and ingest worker into PostgreSQL, exactly once."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from mqtt_contract.v1 import TopicKind, topic_for
from tests.harness.telemetry import Publisher, Seeder, WorkerFactory, eventually

pytestmark = pytest.mark.integration


def characteristic(seeder: Seeder, gateway_id: uuid.UUID, **overrides: Any) -> uuid.UUID:
    spec = {"product": "shaft-40", "key": "diameter", "name": "Shaft diameter", "unit": "mm",
            "lsl": 24.97, "usl": 25.03, "subgroup_size": 1, "chart": "imr"}  # fmt: skip
    spec.update(overrides)
    manager = seeder.query(
        "INSERT INTO app_user (id, organisation_id, email, full_name, role, password_hash)"
        " SELECT gen_random_uuid(), organisation_id, %s, 'QE', 'lab_manager', 'x' FROM gateway WHERE id = %s"
        " RETURNING id",
        (f"qe-{uuid.uuid4().hex[:6]}@example.org", gateway_id),
    )[0][0]
    row = seeder.query(
        "INSERT INTO inspection_characteristic (organisation_id, product, key, name, unit, lsl,"
        " usl, subgroup_size, chart, rules, responsible_user_ids)"
        " SELECT organisation_id, %(product)s, %(key)s, %(name)s, %(unit)s, %(lsl)s, %(usl)s,"
        " %(subgroup_size)s, %(chart)s, '{1,2,3,4,5,6,7,8}', ARRAY[%(user)s]::uuid[]"
        " FROM gateway WHERE id = %(gateway)s RETURNING id",
        {**spec, "user": manager, "gateway": gateway_id},  # type: ignore[arg-type]
    )
    return uuid.UUID(str(row[0][0]))


def payload(gateway: str, results: list[dict[str, Any]]) -> bytes:
    now = int(time.time() * 1000)
    return json.dumps({"v": 1, "gateway": gateway, "sent_at_ms": now, "station": "gauge-1",
                       "results": results}).encode()  # fmt: skip


def reading(seq: int, value: float, **extra: Any) -> dict[str, Any]:
    return {"seq": seq, "ts_ms": 1_764_680_000_000 + seq * 1000, "product": "shaft-40",
            "characteristic": "diameter", "value": value, "unit": "mm", "part": f"P{seq}",
            **extra}  # fmt: skip


def count(seeder: Seeder, sql: str, *params: Any) -> int:
    return int(seeder.scalar(sql, params))


async def test_redelivered_inspection_results_are_stored_judged_and_alarmed_once(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = f"gw-{uuid.uuid4().hex[:8]}"
    gateway = seeder.gateway(key, {})
    cid = characteristic(seeder, gateway.id)
    await start_worker()
    topic = topic_for(key, TopicKind.INSPECTION)
    first = payload(key, [reading(1, 25.001), reading(2, 25.04), reading(3, 24.999)])
    publisher.publish(topic, first)
    publisher.publish(topic, first)  # a gateway resending after a lost PUBACK
    # Overlapping batch: 3 again, then 4.
    publisher.publish(topic, payload(key, [reading(3, 24.999), reading(4, 25.002)]))
    await eventually(
        lambda: (
            count(
                seeder, "SELECT count(*) FROM inspection_result WHERE characteristic_id = %s", cid
            )
            == 4
        ),
        what="4 inspection results",
    )
    await eventually(
        lambda: (
            count(seeder, "SELECT count(*) FROM inspection_point WHERE characteristic_id = %s", cid)
            == 4
        ),
        what="4 chart points",
    )
    rows = seeder.query(
        "SELECT seq, value, part, station, source, point_position FROM inspection_result"
        " WHERE characteristic_id = %s ORDER BY seq", (cid,),
    )  # fmt: skip
    assert rows == [
        (1, 25.001, "P1", "gauge-1", "mqtt", 0),
        (2, 25.04, "P2", "gauge-1", "mqtt", 1),
        (3, 24.999, "P3", "gauge-1", "mqtt", 2),
        (4, 25.002, "P4", "gauge-1", "mqtt", 3),
    ]
    # One out-of-specification alarm, notified once through the outbox.
    assert seeder.query(
        "SELECT kind, positions, occurrences FROM inspection_alarm WHERE characteristic_id = %s",
        (cid,),
    ) == [("out_of_spec", [1], 1)]
    assert count(seeder, "SELECT count(*) FROM outbox WHERE kind = 'inspection_alarm'") == 1
    assert count(seeder, "SELECT count(*) FROM dead_letter") == 0


async def test_bad_inspection_payloads_and_results_are_dead_lettered_with_reasons(
    seeder: Seeder, publisher: Publisher, start_worker: WorkerFactory
) -> None:
    key = f"gw-{uuid.uuid4().hex[:8]}"
    gateway = seeder.gateway(key, {})
    cid = characteristic(seeder, gateway.id)
    await start_worker()
    topic = topic_for(key, TopicKind.INSPECTION)
    publisher.publish(topic, payload(key, [reading(1, "25.0")]))  # type: ignore[arg-type]
    mixed = payload(key, [
        reading(2, 25.0),
        reading(3, 25.0, characteristic="roundness"),
        reading(4, 25.0, unit="degC"),
        reading(5, 0.9843, unit="inch"),
    ])  # fmt: skip
    publisher.publish(topic, mixed)
    await eventually(
        lambda: count(seeder, "SELECT count(*) FROM dead_letter") == 2, what="2 dead letters"
    )
    letters = seeder.query("SELECT reason, payload FROM dead_letter ORDER BY reason")
    assert letters[0][0].startswith("invalid_payload: ")
    assert "value" in letters[0][0]
    assert "unknown_characteristic" in letters[1][0]
    assert "shaft-40/roundness" in letters[1][0]
    assert "incompatible_unit" in letters[1][0]
    assert "degC" in letters[1][0]
    assert bytes(letters[1][1]) == mixed
    values = seeder.query(
        "SELECT seq, value FROM inspection_result WHERE characteristic_id = %s ORDER BY seq", (cid,)
    )
    assert [s for s, _ in values] == [2, 5]
    assert values[1][1] == pytest.approx(25.00122)
