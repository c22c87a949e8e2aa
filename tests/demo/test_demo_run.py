"""`labshare-demo` end to end: embedded PostgreSQL, broker, chamber, gateway, server, Ctrl-C.

Runs the real command as a user would, with a fresh data directory and without
LABSHARE_DATABASE_URL, so the embedded PostgreSQL path is exercised.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from server.demo.journey import (
    SEM_ENTERPRISE_FEE,
    SEM_INSTRUMENT,
    SEM_OPENING_HOURS,
    SEM_POINT,
    SEM_STAGE_SETPOINT,
)
from tests.harness.demo import DemoRun, _processes_using

# The whole demo started as a user would (minutes): outside the fast lane.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(480)]

TELEMETRY_LIMIT_S = 60


@pytest.fixture
def demo(demo_root: Path) -> Iterator[DemoRun]:
    run = DemoRun(demo_root / "demo-data", demo_root / "demo-output.txt")
    try:
        yield run
    finally:
        run.close()


@pytest.fixture
def second_demo(demo_root: Path) -> Iterator[Callable[[], DemoRun]]:
    runs: list[DemoRun] = []

    def start() -> DemoRun:
        runs.append(DemoRun(demo_root / "demo-data", demo_root / "second-output.txt"))
        return runs[-1]

    yield start
    for run in runs:
        run.close()


def _login(client: httpx.Client) -> None:
    token = client.post(
        "/api/v1/auth/token",
        data={"username": "manager@zjim.demo", "password": "labshare-demo"},
    )
    assert token.status_code == 200, token.text
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"


def _stop_and_check_no_orphans(run: DemoRun, pids: list[int], signum: int = signal.SIGINT) -> str:
    run.process.send_signal(signum)
    assert run.process.wait(timeout=90) == 0
    output = run.text()
    assert "labshare demo stopped." in output
    assert "stopped PostgreSQL" in output
    still_running = [
        pid
        for pid in pids
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert still_running == []
    assert _processes_using(run.data_dir) == []
    assert not (run.data_dir / "postgres" / "postmaster.pid").exists()
    return output


def _child_pids(run: DemoRun) -> list[int]:
    state = run.state()
    children = state["children"]
    assert isinstance(children, dict)
    assert {"mosquitto", "amqtt"} & set(children)
    assert {"chamber", "server", "edge"} <= set(children)
    postgres_pid = state["postgres_pid"]
    assert isinstance(postgres_pid, int)
    return [*(int(pid) for pid in children.values()), postgres_pid]


def _latest(client: httpx.Client, instrument_id: str, point_key: str) -> float | None:
    response = client.get(f"/api/v1/instruments/{instrument_id}/latest")
    response.raise_for_status()
    for reading in response.json():
        if reading["point_key"] == point_key and reading["value"] is not None:
            return float(reading["value"])
    return None


def _latest_temperature(client: httpx.Client, instrument_id: str) -> float | None:
    return _latest(client, instrument_id, "temperature")


def _wait_for(client: httpx.Client, instrument_id: str, point_key: str) -> float | None:
    deadline = time.monotonic() + TELEMETRY_LIMIT_S
    value = _latest(client, instrument_id, point_key)
    while value is None and time.monotonic() < deadline:
        time.sleep(1)
        value = _latest(client, instrument_id, point_key)
    return value


# Everything the demo seeds or registers; a second run on the same directory adds none of it.
SEEDED_TABLES = (
    "organisation",
    "app_user",
    "lab",
    "instrument",
    "channel",
    "instrument_state_rule",
    "instrument_scope_item",
    "calibration_certificate",
    "booking",
    "booking_charge",
    "voucher",
    "waitlist_entry",
)


def _seeded_counts(run: DemoRun) -> dict[str, int]:
    url = run.state()["database_url"]
    assert isinstance(url, str)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]  # noqa: S608
            for table in SEEDED_TABLES
        }


def _board_states(client: httpx.Client, lab_id: str) -> dict[str, str | None]:
    board = client.get(f"/api/v1/labs/{lab_id}/board")
    board.raise_for_status()
    return {i["name_en"]: i["state"] for i in board.json()["instruments"]}


def _wait_for_states(client: httpx.Client, lab_id: str, names: set[str]) -> dict[str, str | None]:
    deadline = time.monotonic() + TELEMETRY_LIMIT_S
    states = _board_states(client, lab_id)
    while any(states.get(n) is None for n in names) and time.monotonic() < deadline:
        time.sleep(1)
        states = _board_states(client, lab_id)
    return states


def _check_every_capability_has_data(client: httpx.Client, chamber: dict[str, str]) -> None:
    """What a visitor of the demo should find: catalogue, certificates, board, bookings, fees."""
    catalogue = client.get("/api/v1/catalogue/instruments", params={"page_size": 100}).json()
    assert catalogue["total"] >= 30
    assert len({i["organisation_id"] for i in catalogue["items"]}) == 4
    assert {
        state: any(i["calibration_state"] == state for i in catalogue["items"])
        for state in ("valid", "due_soon", "expired", "out_of_service", "not_required")
    } == dict.fromkeys(("valid", "due_soon", "expired", "out_of_service", "not_required"), True)
    calibration = client.get(f"/api/v1/instruments/{chamber['id']}/calibration").json()
    # Bookable today: a certificate valid now.
    assert calibration["status"]["state"] == "valid"
    bookings = client.get("/api/v1/bookings").json()
    assert {
        "pending",
        "confirmed",
        "checked_in",
        "completed",
        "cancelled",
        "rejected",
        "no_show",
    } <= {b["status"] for b in bookings}
    # The chamber's own demo booking paid partly by voucher (the evaluation's year of bookings
    # on other instruments is charged without one).
    completed = next(
        b
        for b in bookings
        if b["status"] == "completed" and str(b.get("purpose") or "").startswith("[demo]")
    )
    charge = client.get(f"/api/v1/bookings/{completed['id']}/charge").json()
    assert Decimal(str(charge["voucher_amount"])) > 0


def test_demo_serves_live_chamber_values_and_stops_every_child_on_ctrl_c(
    demo: DemoRun, second_demo: Callable[[], DemoRun]
) -> None:
    url = demo.wait_for_url()
    output = demo.text()
    assert "[1/9] PostgreSQL … ok" in output
    assert re.search(
        r"\[9/9\] live values from the chamber … ok .*\n +temperature \d+\.\d °C", output
    )
    assert "manager@zjim.demo" in output
    # The box says where each part of labshare is, including the lab's live board.
    assert re.search(r"live board.*\n\|? +http://127\.0\.0\.1:\d+/board/[0-9a-f-]{36}", output)
    for path in ("catalogue", "bookings", "statements", "instruments/"):
        assert f"{url}{path}" in output
    pids = _child_pids(demo)
    assert {"balance", "multimeter", "bridge", "lads", "sila", "sem"} <= set(
        demo.state()["children"]
    )  # type: ignore[call-overload]

    with httpx.Client(base_url=url, timeout=10) as client:
        _login(client)
        instruments = client.get("/api/v1/instruments").json()
        chamber = next(i for i in instruments if i["model"] == "SETH-Z-040L")

        temperature = _wait_for(client, chamber["id"], "temperature")
        # One reading in rpm and one 4-20 mA loop point (docs/units.md, "The demo").
        fan_speed = _wait_for(client, chamber["id"], "fan_speed")
        probe = _wait_for(client, chamber["id"], "sample_temperature")
        latest = client.get(f"/api/v1/instruments/{chamber['id']}/latest").json()
        units = {reading["point_key"]: reading["unit"] for reading in latest}
        # The balance speaks MT-SICS to the bridge; the gateway reads the bridge over Modbus.
        balance = next(i for i in instruments if i["name_en"] == "Analytical balance")
        weight = _wait_for(client, balance["id"], "weight")
        # The incubator speaks OPC UA with a LADS address space; its functional unit's state
        # and its temperature arrive through the same gateway.
        incubator = next(i for i in instruments if i["name_en"] == "CO2 incubator (OPC UA LADS)")
        incubation = _wait_for(client, incubator["id"], "temperature")
        sila = next(i for i in instruments if i["name_en"] == "Incubator (SiLA 2)")
        sila_temperature = _wait_for(client, sila["id"], "temperature")
        # Its state is RunProgram's execution state, which the gateway follows.
        sila_command = _wait_for(client, sila["id"], "program.state")
        # The microscope set up as a manager does in the browser: bookable by an enterprise at
        # the published fee, calibrated, open on weekdays and streaming its stage temperature.
        sem = next(i for i in instruments if i["name_en"] == SEM_INSTRUMENT["name_en"])
        sem_fee = client.get(f"/api/v1/instruments/{sem['id']}/cost-model").json()
        sem_calibration = client.get(f"/api/v1/instruments/{sem['id']}/calibration").json()
        sem_record = client.get(f"/api/v1/instruments/{sem['id']}/record").json()
        stage = _wait_for(client, sem["id"], SEM_POINT)
        # Tiles coloured by state: the chamber's status register says running, the balance
        # has a load on its pan, the multimeter's leads are open.
        states = _wait_for_states(
            client,
            chamber["lab_id"],
            {
                "Temperature chamber",
                "Analytical balance",
                "Digital multimeter",
                "CO2 incubator (OPC UA LADS)",
                "Incubator (SiLA 2)",
            },
        )
        _check_every_capability_has_data(client, chamber)
    assert states["Temperature chamber"] == "running"
    assert states["Analytical balance"] == "running"
    assert states["Digital multimeter"] == "idle"
    # No program runs in the first minutes: the LADS state says stopped, i.e. idle.
    assert states["CO2 incubator (OPC UA LADS)"] in ("idle", "running")
    assert incubation is not None, f"no incubator temperature within {TELEMETRY_LIMIT_S} s"
    # Its scheduler starts the first program after five minutes: no execution yet (0), idle.
    assert sila_command == 0.0, f"no SiLA command state within {TELEMETRY_LIMIT_S} s"
    assert states["Incubator (SiLA 2)"] == "idle"
    assert sila_temperature is not None, f"no SiLA temperature within {TELEMETRY_LIMIT_S} s"
    assert temperature is not None, f"no temperature within {TELEMETRY_LIMIT_S} s"
    # Ambient 25 °C heating towards the 60 °C setpoint.
    assert 20.0 <= temperature <= 61.0
    # The running chamber's fan turns at 1,500 revolutions per minute, stored as such.
    assert (fan_speed, units["fan_speed"]) == (1500.0, "rpm")
    # The loop-powered probe (-70 °C at 4 mA, 180 °C at 20 mA) reads the chamber's air.
    assert probe is not None, f"no 4-20 mA sample temperature within {TELEMETRY_LIMIT_S} s"
    assert 20.0 <= probe <= 61.0
    assert units["sample_temperature"] == "degC"
    assert weight is not None, f"no weight within {TELEMETRY_LIMIT_S} s"
    assert weight == pytest.approx(12.5, abs=0.01)
    assert Decimal(sem_fee["hourly_fees"]["enterprise"]["staff_operated"]) == SEM_ENTERPRISE_FEE
    assert sem_calibration["status"]["state"] == "valid"
    assert sem_record["opening_hours"] == SEM_OPENING_HOURS
    assert (sem_record["category"], sem_record["contact_name"]) == ("电子光学仪器", "王主管")
    assert stage is not None, f"no stage temperature within {TELEMETRY_LIMIT_S} s"
    assert stage == pytest.approx(SEM_STAGE_SETPOINT, abs=0.5)

    first_counts = _seeded_counts(demo)
    _stop_and_check_no_orphans(demo, pids)

    # A second run reuses the data directory: same instrument, its readings still there,
    # and nothing seeded or registered twice.
    again = second_demo()
    url = again.wait_for_url()
    assert _seeded_counts(again) == first_counts
    with httpx.Client(base_url=url, timeout=10) as client:
        _login(client)
        instruments = client.get("/api/v1/instruments").json()
        assert [i["id"] for i in instruments if i["model"] == "SETH-Z-040L"] == [chamber["id"]]
        # Registered once, not again on every start.
        assert [i["id"] for i in instruments if i["name_en"] == "Analytical balance"] == [
            balance["id"]
        ]
        assert _latest_temperature(client, chamber["id"]) is not None
    # A service manager stops it with SIGTERM: the same orderly shutdown.
    output = _stop_and_check_no_orphans(again, _child_pids(again), signal.SIGTERM)
    assert "SIGTERM received" in output


def test_a_child_that_dies_is_named_with_its_log_and_the_rest_is_stopped(
    demo_root: Path,
) -> None:
    run = DemoRun(
        demo_root / "demo-data", demo_root / "demo-output.txt", LABSHARE_DEMO_BRIDGE="off"
    )
    try:
        run.wait_for_url()
        pids = _child_pids(run)
        chamber_pid = run.state()["children"]["chamber"]  # type: ignore[index]
        os.kill(int(chamber_pid), signal.SIGKILL)
        assert run.process.wait(timeout=90) == 1
        output = run.text()
        assert "error: chamber stopped unexpectedly (exit code -9)" in output
        assert f"last lines of {run.data_dir / 'logs' / 'chamber.log'}:" in output
        assert "chamber listening on 127.0.0.1" in output
        assert "labshare demo stopped after an error." in output
        assert "stopped PostgreSQL" in output
        assert [
            pid
            for pid in pids
            if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        ] == []
        assert _processes_using(run.data_dir) == []
    finally:
        run.close()


def test_labshare_database_url_wins_over_the_embedded_postgres(
    demo_root: Path, database_url: str
) -> None:
    run = DemoRun(
        demo_root / "demo-data",
        demo_root / "demo-output.txt",
        LABSHARE_DATABASE_URL=database_url,
        LABSHARE_DEMO_BRIDGE="off",
    )
    try:
        run.wait_for_url()
        output = run.text()
        assert "external PostgreSQL" in output
        assert "no TimescaleDB" not in output  # the test cluster has it
        assert re.search(r"\[9/9\] live values from the chamber … ok .*\n +temperature", output)
        assert not (run.data_dir / "postgres").exists()
        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(timeout=90) == 0
        assert "stopped PostgreSQL" not in run.text()
    finally:
        run.close()
    # The demo leaves a database it did not start running.
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM telemetry").fetchone()[0] > 0  # type: ignore[index]
