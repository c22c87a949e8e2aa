"""The deployment files name only settings the code reads: a misspelt variable in a unit or an
example environment file would be ignored silently by the server."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CONFIG_DOC = REPO / "docs" / "configuration.md"
# Read by uvicorn/labshare-server serve rather than by a settings class.
OUTSIDE_SETTINGS = {"WEB_CONCURRENCY"}


def _documented() -> set[str]:
    names: set[str] = set()
    for line in CONFIG_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def _named_in(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    assigned = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)
    inline = re.findall(r"(?:Environment=|\s)(LABSHARE_[A-Z0-9_]+)=", text)
    return set(assigned) | set(inline)


def test_every_variable_in_the_systemd_files_is_a_documented_setting() -> None:
    documented = _documented()
    files = sorted((DEPLOY / "systemd").iterdir())
    assert len(files) >= 4
    unknown = {
        f"{path.relative_to(REPO)}: {name}"
        for path in files
        for name in _named_in(path)
        if name.startswith("LABSHARE_") and name not in documented
    }
    assert not unknown, sorted(unknown)


def test_every_variable_of_the_compose_environment_file_is_used_by_compose() -> None:
    compose = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    named = _named_in(DEPLOY / "env.example")
    assert "LABSHARE_SECRET_KEY" in named
    unused = {name for name in named if "${" + name not in compose}
    assert not unused, sorted(unused)


def test_the_systemd_server_environment_keeps_gateway_accounts_in_step_with_the_broker() -> None:
    example = (DEPLOY / "systemd" / "server.env.example").read_text(encoding="utf-8")
    settings = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )
    assert settings["LABSHARE_BROKER_ACCOUNTS"] == "dynsec"
    assert settings["LABSHARE_BROKER_ADMIN_USERNAME"]
    # Secrets are left for the operator to fill; the example holds none.
    for secret in (
        "LABSHARE_SECRET_KEY",
        "LABSHARE_MQTT_PASSWORD",
        "LABSHARE_BROKER_ADMIN_PASSWORD",
    ):
        assert settings[secret] == "", secret
    assert set(settings) - OUTSIDE_SETTINGS <= _documented()
