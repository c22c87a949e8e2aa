from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mqtt_contract.gateway_config import ConfigError, config_hash, load_config, parse_config
from tests.harness.edge import doc


def issues(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return [str(i) for i in caught.value.issues]


def test_documented_example_is_valid() -> None:
    config = parse_config(doc())
    point = config.devices[0].points[0]
    assert point.kind == "holding"
    assert point.target_unit == "degC"


def test_incompatible_unit_is_named_by_path() -> None:
    bad = doc()
    bad["devices"][0]["points"][2].update({"source_unit": "degC", "unit": "kg"})
    assert issues(bad) == [
        "devices[0].points[2].unit: 'kg' is not compatible with source unit 'degC'"
    ]


def test_every_error_is_reported_at_once() -> None:
    bad = doc()
    bad["devices"][0]["points"][0]["source_unit"] = "furlongz"
    bad["devices"][0]["points"][1]["type"] = "float17"
    bad["mqtt"]["port"] = 0
    found = issues(bad)
    assert len(found) == 3
    assert found[0].startswith("mqtt.port:")
    assert "devices[0].points[0].source_unit: unknown unit 'furlongz'" in found
    assert any(f.startswith("devices[0].points[1].type:") for f in found)


def test_coil_must_be_bool_and_string_needs_length() -> None:
    bad = doc()
    bad["devices"][0]["points"].append(
        {"key": "run", "register": "coil", "address": 1, "type": "int16"}
    )
    bad["devices"][0]["points"].append(
        {"key": "label", "register": "holding", "address": 20, "type": "string"}
    )
    found = issues(bad)
    assert found[0].startswith("devices[0].points[3]: a coil holds one bit")
    assert found[1].startswith("devices[0].points[4]: a string point needs a length")


def test_duplicate_keys_and_inconsistent_bus() -> None:
    rtu = {
        "protocol": "modbus_rtu",
        "serial_port": "/dev/ttyUSB0",
        "baudrate": 9600,
        "points": [{"key": "t", "register": "input", "address": 0}],
    }
    bad = doc(
        devices=[
            {**rtu, "key": "a"},
            {**rtu, "key": "a", "baudrate": 19200},
        ]
    )
    found = issues(bad)
    assert "devices[1].key: duplicate device key 'a' (also devices[0])" in found
    assert "devices[1].bus: bus '/dev/ttyUSB0' is configured differently in devices[0]" in found


def test_mqtt_device_and_unknown_key() -> None:
    good = doc(
        devices=[
            {
                "key": "balance",
                "protocol": "mqtt",
                "topic": "lab/balance/1",
                "points": [{"key": "mass", "field": "data.mass", "source_unit": "g", "unit": "kg"}],
            }
        ]
    )
    assert parse_config(good).devices[0].points[0].field == "data.mass"
    bad = doc(
        devices=[
            {
                "key": "balance",
                "protocol": "mqtt",
                "topic": "lab/#",
                "colour": "red",
                "points": [{"key": "mass", "field": "m"}],
            }
        ]
    )
    found = issues(bad)
    assert "devices[0].topic: a device topic must not contain wildcards" in found
    assert any(f.startswith("devices[0].colour:") for f in found)


def test_config_hash_is_stable_and_content_sensitive() -> None:
    a = parse_config(doc())
    b = parse_config(yaml.safe_load(yaml.safe_dump(doc())))
    assert config_hash(a) == config_hash(b)
    changed = doc()
    changed["devices"][0]["poll_interval_s"] = 2.0
    assert config_hash(parse_config(changed)) != config_hash(a)
    assert len(config_hash(a)) == 64


def test_example_config_file_is_valid(repo_root: Path) -> None:
    config = load_config(repo_root / "edge_agent" / "examples" / "gateway.yaml")
    assert config.gateway.key == "demo-gw-01"
    assert {d.protocol for d in config.devices} == {
        "modbus_tcp",
        "modbus_rtu",
        "modbus_rtu_over_tcp",
        "mqtt",
    }


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_check_command_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(doc()))
    result = _cli("check", str(good))
    assert result.returncode == 0, result.stderr
    assert "configuration is valid" in result.stdout
    assert "chamber-1: modbus_tcp 127.0.0.1, 3 points, 1 reads every 1.0 s" in result.stdout

    bad_doc = doc()
    bad_doc["devices"][0]["points"][2].update({"source_unit": "degC", "unit": "kg"})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(bad_doc))
    result = _cli("check", str(bad))
    assert result.returncode == 2
    assert (
        "devices[0].points[2].unit: 'kg' is not compatible with source unit 'degC'" in result.stderr
    )

    result = _cli("check", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_run_reports_an_unusable_spool_and_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = tmp_path / "gateway.yaml"
    config.write_text(
        yaml.safe_dump(doc(spool={"path": str(blocker / "spool.sqlite3")}, devices=[]))
    )
    result = _cli("run", str(config))
    assert result.returncode == 1
    # The exception's type and the operation lead, so the reason is never empty.
    assert "gateway cannot run: " in result.stderr
    reason = result.stderr.split("gateway cannot run: ", 1)[1].splitlines()[0]
    assert reason.startswith(("NotADirectoryError", "FileExistsError", "OperationalError"))
    assert " while starting the gateway" in reason
