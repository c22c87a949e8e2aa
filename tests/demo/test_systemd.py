"""The systemd units: the right commands, settings from a private file, and hardening on."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("labshare-server.service", "labshare-server serve --host 127.0.0.1 --port 8000 --migrate"),
        ("labshare-ingest.service", "labshare-server ingest"),
    ],
)
def test_units_run_the_server_commands_hardened(name: str, command: str) -> None:
    service = _unit(name)["Service"]
    assert service["ExecStart"].endswith(command)
    assert service["User"] == "labshare"
    # Secrets live in a root-owned file outside the repository, not in the unit.
    assert service["EnvironmentFile"] == "/etc/labshare/server.env"
    assert "LABSHARE_SECRET_KEY" not in (UNITS / name).read_text()
    assert "LABSHARE_ENVIRONMENT=production" in service["Environment"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
    }.items():
        assert service[key] == value, key


def test_the_api_process_leaves_ingest_to_its_own_unit() -> None:
    environment = _unit("labshare-server.service")["Service"]["Environment"]
    assert "LABSHARE_INGEST_ENABLED=false" in environment
