"""Program runs in the instrument's data export: who sees which run, and in which format."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import httpx
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Telemetry

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def _run(telemetry: Telemetry, demo: World, run_id: str, ended: datetime, device: str) -> None:
    telemetry.execute(
        "INSERT INTO program_run (gateway_id, device_key, unit_key, run_id, program, result_id,"
        " outcome, started_at, ended_at, results) VALUES (%s, %s, 'oven', %s, 'dry-60', %s,"
        " 'completed', %s, %s, %s)",
        (
            demo.gateway.id,
            device,
            run_id,
            f"result-{run_id}",
            ended - timedelta(minutes=5),
            ended,
            json.dumps([{"key": "loss", "name": "MassLoss", "value": 1.5, "unit": "percent"}]),
        ),
    )


def _export(params: dict[str, str]) -> dict[str, str]:
    return {"start": T0.isoformat(), "end": (T0 + timedelta(hours=2)).isoformat(), **params}


async def test_an_enterprise_sees_the_runs_that_ended_in_its_booking_only(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    device = demo.channels["temperature"].device_key
    _run(telemetry, demo, "inside", T0 + timedelta(minutes=40), device)
    _run(telemetry, demo, "before", T0 + timedelta(minutes=10), device)
    _run(telemetry, demo, "other-device", T0 + timedelta(minutes=45), "another-device")
    buyer = demo.users["buyer@jingce.demo"]
    telemetry.booking(
        demo.instrument.id,
        buyer.organisation_id,
        buyer.id,
        T0 + timedelta(minutes=30),
        T0 + timedelta(minutes=60),
    )
    url = f"/api/v1/instruments/{demo.instrument.id}/export"

    response = await client.get(url, params=_export({}), headers=await login("buyer@jingce.demo"))
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row[6] for row in rows[1:]} == {"inside"}
    loss = next(r for r in rows[1:] if r[1] == f"{device}/oven.result.loss")
    assert loss[2:6] == ["MassLoss", "percent", "1.5", "ok"]

    # The institution's staff see every run of the instrument's devices, in Parquet too.
    staff = await login("staff@zjim.demo")
    response = await client.get(url, params=_export({"format": "parquet"}), headers=staff)
    table = pq.read_table(io.BytesIO(response.content))
    assert sorted(set(table.column("run").to_pylist())) == ["before", "inside"]
    programs = [
        (r, t)
        for r, c, t in zip(
            table.column("run").to_pylist(),
            table.column("channel").to_pylist(),
            table.column("text").to_pylist(),
            strict=True,
        )
        if c.endswith(".result_id")
    ]
    assert programs == [("before", "result-before"), ("inside", "result-inside")]

    # Asking for chosen channels exports those samples only, without the runs.
    channel = demo.channels["temperature"].id
    response = await client.get(url, params=_export({"channel_id": str(channel)}), headers=staff)
    assert response.content.decode("utf-8-sig").splitlines()[0].count(",") == 5
