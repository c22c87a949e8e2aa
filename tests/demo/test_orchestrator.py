"""The demo's pieces that need no running server: configs, the box, the data directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import yaml

from firmware_bridge.config import parse_config as parse_bridge_config
from mqtt_contract.gateway_config import parse_config
from server.demo.broker import find_mosquitto, plan_broker, write_mosquitto_config
from server.demo.cli import Demo, StepFailedError
from server.demo.console import (
    DemoPlaces,
    _display_width,
    describe_exit,
    places_to_look,
    render_box,
)
from server.demo.database import EmbeddedPostgres, ExternalPostgres, mask_password
from server.demo.gateway import chamber_device, gateway_config, write_gateway_config
from server.demo.instruments import bridge_config, bridge_device, write_bridge_config
from server.demo.options import DATA_DIR_MARKER, DEMO_LOGINS, DemoOptions
from server.demo.processes import free_port, tcp_port_open, wait_until


def test_the_generated_gateway_config_is_accepted_by_the_edge_agent(tmp_path: Path) -> None:
    path = write_gateway_config(
        tmp_path / "gw.yaml",
        gateway_config(
            mqtt_port=18830,
            devices=[chamber_device(15020), bridge_device(15021)],
            spool_path=tmp_path / "spool.sqlite3",
            password_env="LABSHARE_EDGE_MQTT_PASSWORD",
        ),
    )
    config = parse_config(yaml.safe_load(path.read_text()))
    assert config.gateway.key == "demo-gw-01"
    assert config.mqtt.port == 18830
    chamber, bridge = config.devices
    assert chamber.key == "chamber-1"
    points = {point.key: point for point in chamber.points}
    assert list(points) == [
        "temperature", "setpoint", "humidity", "power", "status", "fan_speed", "sample_temperature"
    ]  # fmt: skip
    assert [points[k].address for k in points] == [0, 2, 4, 6, 7, 9, 10]  # type: ignore[attr-defined]
    assert points["fan_speed"].target_unit == "rpm"
    loop = points["sample_temperature"].loop
    assert loop is not None
    assert (loop.range, points["sample_temperature"].target_unit) == ((-70.0, 180.0), "degC")
    assert points["power"].type == "uint16"  # type: ignore[attr-defined]
    assert bridge.key == "bridge-1"
    assert bridge.port == 15021  # type: ignore[union-attr]
    assert [p.key for p in bridge.points] == ["weight", "voltage", "temperature"]


def test_bridge_config_is_accepted_by_the_bridge_and_matches_the_gateway(tmp_path: Path) -> None:
    path = write_bridge_config(
        tmp_path / "bridge.yaml",
        bridge_config(15021, {"balance-1": 14001, "dmm-1": 15025}),
    )
    config = parse_bridge_config(yaml.safe_load(path.read_text()))
    assert config.modbus is not None
    assert config.modbus.port == 15021
    served = {
        point.key: point.register_address
        for instrument in config.instruments
        for point in instrument.points
    }
    polled = {point["key"]: point["address"] for point in bridge_device(15021)["points"]}
    assert served == polled


def test_mosquitto_config_listens_on_loopback_only(tmp_path: Path) -> None:
    config = write_mosquitto_config(tmp_path, 18831).read_text()
    assert "listener 18831 127.0.0.1" in config
    assert "allow_anonymous true" in config


def test_without_mosquitto_the_amqtt_fallback_is_planned_and_its_limits_told(
    tmp_path: Path,
) -> None:
    assert find_mosquitto(path=str(tmp_path), extra_dirs=()) is None
    plan = plan_broker(tmp_path, 18832, dict(os.environ), mosquitto=None)
    assert plan.kind == "amqtt"
    assert "server.demo.amqtt_broker" in plan.process.argv
    assert any("MQTT 3.1.1" in note for note in plan.notes)


def test_mosquitto_is_found_outside_path_in_sbin(tmp_path: Path) -> None:
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    fake = sbin / "mosquitto"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_mosquitto(path=str(tmp_path / "bin"), extra_dirs=(str(sbin),)) == str(fake)


def test_stop_report_names_the_signal_instead_of_a_negative_code() -> None:
    assert describe_exit(-15) == "ended by SIGTERM"
    assert describe_exit(0) == "exit 0"
    assert describe_exit(None) == "not started"


@pytest.mark.integration
def test_the_amqtt_fallback_broker_relays_mqtt_311_messages(tmp_path: Path) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    port = free_port()
    plan = plan_broker(tmp_path, port, dict(os.environ), mosquitto=None)
    broker = plan.process
    broker.start()
    received: list[bytes] = []
    subscriber = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    try:
        wait_until(lambda: tcp_port_open(port), timeout_s=20, while_alive=broker)
        subscriber.on_message = lambda _c, _u, message: received.append(message.payload)
        subscriber.connect("127.0.0.1", port)
        subscriber.subscribe("labshare/v1/gw/demo-gw-01/telemetry", qos=1)
        publisher.connect("127.0.0.1", port)
        deadline = time.monotonic() + 20
        while not received and time.monotonic() < deadline:
            publisher.publish("labshare/v1/gw/demo-gw-01/telemetry", b"reading", qos=1)
            for _ in range(5):
                subscriber.loop(timeout=0.1)
                publisher.loop(timeout=0.1)
        assert b"reading" in received
    finally:
        subscriber.disconnect()
        publisher.disconnect()
        assert broker.stop() == 0
    assert "amqtt broker listening" in broker.log_tail()


def test_box_stays_aligned_with_chinese_text() -> None:
    box = render_box(["labshare", "浙江省计量科学研究院 manager"]).splitlines()
    widths = {_display_width(line) for line in box}
    assert len(widths) == 1
    assert box[2].startswith("| 浙江省计量科学研究院")


def _web_routes() -> list[re.Pattern[str]]:
    """The web app's routes (web/src/router.tsx) as patterns; the catch-all is left out."""
    router = (Path(__file__).resolve().parents[2] / "web" / "src" / "router.tsx").read_text()
    paths = [p for p in re.findall(r'path: "([^"]+)"', router) if p not in ("*", "/")]
    patterns = [re.compile(r"^/$")]  # the index route
    for path in paths:
        pattern = re.sub(r":[A-Za-z]+", "[0-9a-f-]{36}", path.lstrip("/"))
        patterns.append(re.compile(f"^/{pattern}$"))
    return patterns


def test_the_welcome_box_links_only_to_pages_the_web_app_has() -> None:
    url = "http://127.0.0.1:8000/"
    lab, chamber = "cb83e989-5a73-4a24-9b9a-6ad814926209", "b3dd23a9-4992-4460-ac39-9688b76020d4"
    lines = places_to_look(url, DemoPlaces(thermal_lab_id=lab, chamber_id=chamber))
    links = [line.strip() for line in lines if line.strip().startswith(url)]
    paths = ["/" + link.removeprefix(url) for link in links]
    assert paths[:2] == [f"/board/{lab}", f"/instruments/{chamber}"]
    assert {"/", "/catalogue", "/bookings", "/statements", "/gateways"} <= set(paths)
    routes = _web_routes()
    assert [p for p in paths if not any(r.match(p) for r in routes)] == []
    # Each link has a line saying what it shows, and the box fits an 80-column terminal.
    assert len(lines) == 2 * len(links)
    assert max(_display_width(line) for line in render_box(lines).splitlines()) <= 80


def test_without_ids_the_welcome_box_still_points_at_the_board() -> None:
    lines = places_to_look("http://127.0.0.1:8000/", DemoPlaces())
    assert "    http://127.0.0.1:8000/board" in lines
    assert not any("/instruments/" in line for line in lines)


def test_every_demo_login_is_listed() -> None:
    emails = {email for email, _, _ in DEMO_LOGINS}
    assert emails == {
        "manager@zjim.demo",
        "staff@zjim.demo",
        "manager@zju.demo",
        "buyer@jingce.demo",
        "admin@platform.demo",
    }


def test_a_foreign_non_empty_directory_is_never_used_or_wiped(tmp_path: Path) -> None:
    precious = tmp_path / "thesis.tex"
    precious.write_text("years of work")
    demo = Demo(DemoOptions(data_dir=tmp_path, port=None, reset=True))
    with pytest.raises(StepFailedError, match="not created by labshare-demo"):
        demo.prepare_data_dir()
    assert precious.read_text() == "years of work"


def test_reset_wipes_a_demo_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    (data_dir / DATA_DIR_MARKER).touch()
    (data_dir / "logs").mkdir()
    (data_dir / "logs" / "old.log").write_text("old")
    Demo(DemoOptions(data_dir=data_dir, port=None, reset=True)).prepare_data_dir()
    assert not (data_dir / "logs" / "old.log").exists()
    assert (data_dir / DATA_DIR_MARKER).exists()


def test_a_second_demo_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / DATA_DIR_MARKER).touch()
    (tmp_path / "run").mkdir()
    # Our parent (pytest's runner) stands in for a demo that is still running.
    (tmp_path / "run" / "demo.json").write_text(json.dumps({"demo_pid": os.getppid()}))
    with pytest.raises(StepFailedError, match=f"pid {os.getppid()}"):
        Demo(DemoOptions(data_dir=tmp_path, port=None, reset=False)).prepare_data_dir()


def test_help_explains_the_options_and_the_environment() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from server.demo.cli import main; main(['--help'])"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    for text in ("--port", "--data-dir", "--reset", "LABSHARE_DATABASE_URL", "labshare-demo"):
        assert text in result.stdout


@pytest.mark.integration
def test_embedded_postgres_keeps_its_data_across_restarts(demo_root: Path) -> None:
    database = EmbeddedPostgres(demo_root / "postgres")
    handle = database.start()
    try:
        assert handle.url.startswith("postgresql+psycopg://postgres@/labshare?host=")
        conninfo = handle.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CREATE TABLE note (body text)")
            conn.execute("INSERT INTO note VALUES ('kept')")
    finally:
        database.stop()
    assert handle.pid is not None
    assert not (demo_root / "postgres" / "postmaster.pid").exists()

    again = EmbeddedPostgres(demo_root / "postgres")
    handle = again.start()
    try:
        conninfo = handle.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo) as conn:
            assert conn.execute("SELECT body FROM note").fetchall() == [("kept",)]
    finally:
        again.stop()


def test_printed_database_urls_hide_the_password() -> None:
    assert (
        mask_password("postgresql+psycopg://labshare:s3cret@db:5432/labshare")
        == "postgresql+psycopg://labshare:***@db:5432/labshare"
    )
    assert (
        mask_password("postgresql+psycopg://postgres@/labshare?host=/tmp/x")
        == "postgresql+psycopg://postgres@/labshare?host=/tmp/x"
    )


@pytest.mark.integration
def test_an_external_database_is_used_as_given(database_url: str) -> None:
    external = ExternalPostgres(database_url)
    handle = external.start()
    assert handle.url == database_url
    assert handle.pid is None
    assert "LABSHARE_DATABASE_URL" in handle.description
    # The test cluster preloads TimescaleDB, so the demo must not claim it is missing.
    assert handle.has_timescaledb
    external.stop()
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
