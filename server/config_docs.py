"""Generate the settings tables of docs/configuration.md from the pydantic-settings classes.

    python -m server.config_docs          # rewrite docs/configuration.md
    python -m server.config_docs --check  # exit 1 if the file is out of date

Each settings class gets one table between ``<!-- settings:<Class> -->`` and
``<!-- /settings:<Class> -->`` markers; the prose around the tables is written by hand. A
setting's meaning comes from its ``Field(description=...)`` when it has one, otherwise from
``MEANINGS`` below; a setting with neither is an error, so a new setting cannot go
undocumented. ``tests/test_configuration_docs.py`` fails when the file and the classes
disagree.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from server.calibration.config import CalibrationSettings
from server.core.config import Settings
from server.jobs.config import JobSettings
from server.notifications.config import NotificationSettings
from server.telemetry.config import TelemetrySettings

__all__ = [
    "DOC_PATH",
    "MEANINGS",
    "REGENERATE_COMMAND",
    "SETTINGS_CLASSES",
    "SettingsDocError",
    "render_document",
    "render_table",
]

_REPO_ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = _REPO_ROOT / "docs" / "configuration.md"
REGENERATE_COMMAND = ".venv/bin/python -m server.config_docs"


@dataclass(frozen=True, slots=True)
class SettingsClass:
    cls: type[BaseSettings]

    @property
    def module(self) -> str:
        return self.cls.__module__

    @property
    def name(self) -> str:
        return self.cls.__name__

    def load(self) -> type[BaseSettings]:
        return self.cls


# Every pydantic-settings class the code reads; the test checks none is missing.
SETTINGS_CLASSES: tuple[SettingsClass, ...] = (
    SettingsClass(Settings),
    SettingsClass(NotificationSettings),
    SettingsClass(JobSettings),
    SettingsClass(CalibrationSettings),
    SettingsClass(TelemetrySettings),
)

# Meaning of each variable, for settings without a Field description.
MEANINGS: dict[str, str] = {
    # server.core.config.Settings
    "LABSHARE_ENVIRONMENT": "Production and test refuse a weak `LABSHARE_SECRET_KEY`; only development falls back to a default demo gateway secret.",
    "LABSHARE_DATABASE_URL": "SQLAlchemy URL of the PostgreSQL database; always the psycopg 3 driver (`postgresql+psycopg://user:password@host:port/db`).",
    "LABSHARE_DATABASE_POOL_SIZE": "Connections kept open per API process.",
    "LABSHARE_MQTT_HOST": "MQTT broker the ingest worker consumes from and `/readyz` checks.",
    "LABSHARE_MQTT_PORT": "Its port.",
    "LABSHARE_MQTT_USERNAME": "The server's MQTT account. `mosquitto-auth` writes it into the password file with read access to everything.",
    "LABSHARE_MQTT_PASSWORD": "Its password (plain string; keep it out of the repository).",
    "LABSHARE_MQTT_PROTOCOL": "MQTT version of the ingest worker. `auto` asks the broker first and uses MQTT 5 (shared subscription `$share/ingest/...`, so several workers split the load), or MQTT 3.1.1 when the broker refuses 5 (the demo's amqtt fallback). Over 3.1.1 every worker would receive every message, so run only one ingest worker; the worker logs this once at start. `5` never falls back.",
    "LABSHARE_SECRET_KEY": "Signs access tokens (JWT HS256). Outside development it must be set, not the default, and at least 32 characters: `python -c 'import secrets; print(secrets.token_urlsafe(48))'`. Changing it logs everybody out.",
    "LABSHARE_ACCESS_TOKEN_EXPIRE_MINUTES": "Lifetime of an access token.",
    "LABSHARE_WEB_DIST": "Built web app served at `/`. Without an `index.html` there, `/` shows a page saying how to build it.",
    "LABSHARE_INGEST_ENABLED": "Run the telemetry ingest worker inside the API process. Set `false` when ingest runs separately (`labshare-server ingest`).",
    "LABSHARE_INGEST_CLIENT_ID": "MQTT client id of the ingest worker (unset: `labshare-ingest-<hostname>`). Stable so the broker keeps its queue across restarts; give each worker its own when several run on one host.",
    "LABSHARE_LOG_FORMAT": "`json` (one object per line, with `request_id` and context fields) or `console` (readable lines).",
    "LABSHARE_LOG_LEVEL": "Root log level.",
    "LABSHARE_READINESS_TIMEOUT_S": "How long `/readyz` waits for the database and the broker.",
    "LABSHARE_DEMO_GATEWAY_SECRET": "MQTT password of the demo gateway `demo-gw-01` written by `seed-demo`; required outside development (development falls back to `demo-gateway-secret`).",
    # server.jobs.config.JobSettings and server.notifications.config.NotificationSettings
    "LABSHARE_JOBS_ENABLED": "Run the background jobs inside the server process, no cron needed: booking check-in from telemetry, no-show release, actual use and charges, reminders, waitlist expiry, flags for unusable instruments, calibration reminders and correction pushes, outbox delivery.",
    "LABSHARE_JOBS_INTERVAL_S": "Seconds between two passes of the background jobs.",
    "LABSHARE_REMINDER_LEAD_MINUTES": "How long before a booking starts its reminder is sent.",
    "LABSHARE_SMTP_HOST": "SMTP server for e-mail notifications. Unset: e-mail is skipped; in-app notifications still work.",
    "LABSHARE_SMTP_PORT": "Its port.",
    "LABSHARE_SMTP_USERNAME": "SMTP log-in (unset: no authentication).",
    "LABSHARE_SMTP_PASSWORD": "Its password.",
    "LABSHARE_SMTP_STARTTLS": "Upgrade the SMTP connection with STARTTLS before logging in.",
    "LABSHARE_SMTP_FROM": "Sender address of notification e-mails.",
    "LABSHARE_SMTP_TIMEOUT_S": "Time-out of one SMTP exchange.",
    "LABSHARE_OUTBOX_MAX_ATTEMPTS": "Attempts to send one e-mail (back-off from 30 s, doubling, at most 1 h) before the outbox row is given up.",
    # server.calibration.config.CalibrationSettings
    "LABSHARE_CALIBRATION_REMINDER_LEAD_DAYS": "Days before a calibration certificate ends when lab managers are reminded, as `30,7` or JSON `[30, 7]`; each 1–365.",
    "LABSHARE_CALIBRATION_PUSH_ENABLED": "Push changed correction sets to the gateways from the job runner (a certificate recorded while the broker was away, one that became valid or lapsed since).",
    # server.telemetry.config.TelemetrySettings
    "LABSHARE_TELEMETRY_JOBS_ENABLED": "Run instrument state evaluation, rollups and retention inside the API process.",
    "LABSHARE_TELEMETRY_STATE_INTERVAL_S": "Seconds between two instrument state evaluations.",
    "LABSHARE_TELEMETRY_ROLLUP_INTERVAL_S": "Seconds between two rollup refreshes.",
    "LABSHARE_TELEMETRY_RETENTION_INTERVAL_S": "Seconds between two retention passes.",
    "LABSHARE_TELEMETRY_LIVE_ENABLED": "Keep one broker connection per API process for live streams and pushed documents.",
}

# Defaults that would print a secret or this machine's path.
_SPECIAL_DEFAULTS = {
    "LABSHARE_SECRET_KEY": "a development-only value",
    "LABSHARE_WEB_DIST": "`<repo>/web/dist`",
}


class SettingsDocError(RuntimeError):
    """The settings classes cannot be documented (a setting without a meaning)."""


def env_name(cls: type[BaseSettings], field: str) -> str:
    prefix = str(cls.model_config.get("env_prefix", ""))
    return f"{prefix}{field}".upper()


def _type_text(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if origin is not None and type(None) in get_args(annotation) and len(args) == 1:
        return _type_text(args[0])
    if origin is list:
        return f"list of {_type_text(args[0])}" if args else "list"
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return " \\| ".join(f"`{member.value}`" for member in annotation)
        if issubclass(annotation, SecretStr):
            return "secret"
        if issubclass(annotation, Path):
            return "path"
        return annotation.__name__
    return str(annotation)


def _constraints(info: FieldInfo) -> str:
    words = []
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            words.append(f"≥ {item.ge}")
        elif isinstance(item, annotated_types.Gt):
            words.append(f"> {item.gt}")
        elif isinstance(item, annotated_types.Le):
            words.append(f"≤ {item.le}")
        elif isinstance(item, annotated_types.Lt):
            words.append(f"< {item.lt}")
        elif isinstance(item, annotated_types.MinLen):
            words.append(f"at least {item.min_length}")
    return ", ".join(words)


def _default_text(name: str, info: FieldInfo) -> str:
    if name in _SPECIAL_DEFAULTS:
        return _SPECIAL_DEFAULTS[name]
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "a built-in value"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, list):
        return f"`{','.join(str(v) for v in value)}`"
    return f"`{value}`"


def _meaning(name: str, info: FieldInfo) -> str:
    meaning = info.description or MEANINGS.get(name)
    if not meaning:
        raise SettingsDocError(
            f"{name} has no meaning: give its field a description "
            "(Field(description=...)) or add it to server.config_docs.MEANINGS"
        )
    return meaning.replace("|", "\\|").replace("\n", " ")


def render_table(cls: type[BaseSettings]) -> str:
    lines = [
        "| Variable | Type | Default | Meaning |",
        "|---|---|---|---|",
    ]
    # A class that extends another lists only its own settings; the base has its own table.
    inherited = {f for base in cls.__mro__[1:] for f in getattr(base, "model_fields", {})}
    for field, info in cls.model_fields.items():
        if field in inherited:
            continue
        name = env_name(cls, field)
        kind = _type_text(info.annotation)
        limits = _constraints(info)
        if limits:
            kind = f"{kind}, {limits}"
        lines.append(
            f"| `{name}` | {kind} | {_default_text(name, info)} | {_meaning(name, info)} |"
        )
    return "\n".join(lines)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- settings:{name} -->", f"<!-- /settings:{name} -->"


def render_document(text: str) -> str:
    """``text`` with every settings table replaced by the one generated from its class."""
    for entry in SETTINGS_CLASSES:
        begin, end = _markers(entry.name)
        start = text.find(begin)
        stop = text.find(end)
        if start < 0 or stop < start:
            raise SettingsDocError(
                f"{DOC_PATH.name} has no section {begin} ... {end} for "
                f"{entry.module}.{entry.name}; add the two markers where its table belongs"
            )
        table = render_table(entry.load())
        text = (
            text[: start + len(begin)]
            + "\n<!-- generated by "
            + REGENERATE_COMMAND
            + "; do not edit by hand -->\n"
            + table
            + "\n"
            + text[stop:]
        )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--path", type=Path, default=DOC_PATH)
    args = parser.parse_args(argv)
    current = args.path.read_text(encoding="utf-8")
    wanted = render_document(current)
    if args.check:
        if wanted != current:
            print(f"{args.path} is out of date; run {REGENERATE_COMMAND}", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        args.path.write_text(wanted, encoding="utf-8")
        print(f"rewrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
