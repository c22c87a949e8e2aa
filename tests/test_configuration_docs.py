"""docs/configuration.md lists exactly the settings the code reads, as generated from the classes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from server import config_docs
from server.config_docs import (
    DOC_PATH,
    REGENERATE_COMMAND,
    SETTINGS_CLASSES,
    SettingsDocError,
    render_document,
    render_table,
)

REPO = Path(__file__).resolve().parent.parent


def _settings_classes_in_source() -> set[tuple[str, str]]:
    """(module, class) of every class deriving from BaseSettings in the shipped packages."""
    found: set[tuple[str, str]] = set()
    for package in ("server", "edge_agent", "firmware_bridge", "mqtt_contract"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and any(
                    (isinstance(base, ast.Name) and base.id == "BaseSettings")
                    or (isinstance(base, ast.Attribute) and base.attr == "BaseSettings")
                    for base in node.bases
                ):
                    module = ".".join(path.relative_to(REPO).with_suffix("").parts)
                    found.add((module, node.name))
    return found


def test_every_settings_class_is_documented() -> None:
    listed = {(entry.module, entry.name) for entry in SETTINGS_CLASSES}
    missing = _settings_classes_in_source() - listed
    assert not missing, (
        f"settings classes not in server.config_docs.SETTINGS_CLASSES: {sorted(missing)}; "
        f"add them, add their section markers to docs/configuration.md, then run {REGENERATE_COMMAND}"
    )


def test_configuration_doc_matches_the_settings_classes() -> None:
    current = DOC_PATH.read_text(encoding="utf-8")
    assert render_document(current) == current, (
        f"docs/configuration.md disagrees with the settings classes; run {REGENERATE_COMMAND}"
    )


def test_doc_names_every_variable_with_its_default() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    for name in (
        "LABSHARE_SMTP_HOST",
        "LABSHARE_OUTBOX_MAX_ATTEMPTS",
        "LABSHARE_JOBS_INTERVAL_S",
        "LABSHARE_CALIBRATION_REMINDER_LEAD_DAYS",
        "LABSHARE_TELEMETRY_ROLLUP_INTERVAL_S",
    ):
        assert f"`{name}`" in text
    assert "| `LABSHARE_OUTBOX_MAX_ATTEMPTS` | int, ≥ 1 | `8` |" in text
    assert (
        "| `LABSHARE_CALIBRATION_REMINDER_LEAD_DAYS` | list of int, at least 1 | `30,7` |" in text
    )


def test_a_new_setting_makes_the_doc_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    current = DOC_PATH.read_text(encoding="utf-8")

    class Settings(BaseSettings):  # named like the first documented class, with one more field
        model_config = SettingsConfigDict(env_prefix="LABSHARE_X_")

        described: int = Field(default=3, ge=0, description="A setting that says what it does.")

    entry = SETTINGS_CLASSES[0]
    monkeypatch.setattr(entry.__class__, "load", lambda self: Settings)
    rendered = render_document(current)
    assert rendered != current
    assert "| `LABSHARE_X_DESCRIBED` | int, ≥ 0 | `3` | A setting that says what it does. |" in (
        rendered
    )


def test_a_setting_without_meaning_is_refused() -> None:
    class Undescribed(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="LABSHARE_Y_")

        mystery: bool = False

    with pytest.raises(SettingsDocError, match="LABSHARE_Y_MYSTERY has no meaning"):
        render_table(Undescribed)


def test_check_mode_reports_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(
        DOC_PATH.read_text(encoding="utf-8").replace("`1883`", "`1884`"), encoding="utf-8"
    )
    assert config_docs.main(["--check", "--path", str(stale)]) == 1
    assert REGENERATE_COMMAND in capsys.readouterr().err
    assert config_docs.main(["--path", str(stale)]) == 0
    assert config_docs.main(["--check", "--path", str(stale)]) == 0


# Environment variables read by name outside the settings classes: Python (os.environ / getenv),
# the shell scripts and the web app's build scripts. System variables are not ours to document.
_PY_ENV_READ = re.compile(
    r"""(?:environ\.get|getenv|environ\.setdefault)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
)
_SHELL_ENV_READ = re.compile(r"\$\{?(LABSHARE_[A-Z0-9_]+)")
_JS_ENV_READ = re.compile(r"process\.env\.([A-Z][A-Z0-9_]+)")
_SYSTEM_VARIABLES = {"PATH", "HOME", "CI"}


def _variables_read_by_name() -> dict[str, set[str]]:
    """Variable name -> the files that read it."""
    sources: list[tuple[Path, re.Pattern[str]]] = []
    for package in ("server", "edge_agent", "firmware_bridge", "mqtt_contract", "tests"):
        sources += [(path, _PY_ENV_READ) for path in (REPO / package).rglob("*.py")]
    sources += [(path, _SHELL_ENV_READ) for path in (REPO / "scripts").glob("*.sh")]
    sources += [(path, _JS_ENV_READ) for path in (REPO / "web" / "scripts").glob("*.mjs")]
    sources.append((REPO / "web" / "vite.config.ts", _JS_ENV_READ))
    found: dict[str, set[str]] = {}
    for path, pattern in sources:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            name = next(group for group in match.groups() if group)
            if name not in _SYSTEM_VARIABLES:
                found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_variable_read_by_name_is_documented() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    found = _variables_read_by_name()
    assert "WEB_CONCURRENCY" in found  # the scan sees the reads it is meant to check
    missing = {name: sorted(files) for name, files in found.items() if f"`{name}`" not in text}
    assert not missing, f"variables read but not in docs/configuration.md: {missing}"
