"""Server settings, read from ``LABSHARE_*`` environment variables."""

from __future__ import annotations

import math
import re
from collections import Counter
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEVELOPMENT_SECRET_KEY",
    "MIN_SECRET_KEY_LENGTH",
    "BrokerAccounts",
    "Environment",
    "LogFormat",
    "MqttProtocol",
    "Settings",
    "get_settings",
    "nats_servers",
    "secret_key_weakness",
]

# Only good enough for a laptop: every environment but development refuses it
# (see Settings._refuse_weak_secret).
DEVELOPMENT_SECRET_KEY = "labshare-development-secret-key-change-me"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32
DEVELOPMENT_DEMO_GATEWAY_SECRET = "demo-gateway-secret"  # noqa: S105

_REPO_ROOT = Path(__file__).resolve().parents[2]

# Production also refuses long secrets that are easy to guess (see secret_key_weakness).
MIN_SECRET_KEY_BITS = 80
MIN_SECRET_KEY_DISTINCT = 10
# Words people put into "secrets"; removed before the remainder's entropy is estimated.
_GUESSABLE_WORDS = re.compile(
    "|".join(
        (
            "change.?me",
            "changeit",
            "pass(?:word|wd)?",
            "secret",
            "labshare",
            "default",
            "example",
            "admin",
            "letmein",
            "qwerty",
            "asdf",
            "development",
            "production",
            "key",
            "token",
            "test",
        )
    ),
    re.IGNORECASE,
)
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _predictable(previous: str, current: str, before: str | None) -> bool:
    """A character that repeats the last, or continues a run (abc, 321, qwe) started before."""
    if current == previous:
        return True
    if before is None:
        return False
    step = ord(current) - ord(previous)
    if abs(step) == 1 and ord(previous) - ord(before) == step:
        return True
    trio = (before + previous + current).lower()
    return any(trio in row or trio in row[::-1] for row in _KEYBOARD_ROWS)


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` is too easy to guess for signing tokens, or None when it looks random.

    Refused: the development default, fewer than 32 characters, a repeated pattern
    ("changeme" * 4), fewer than 10 distinct characters, or an estimated entropy under
    80 bits once common words (change me, password, secret, ...) are taken out and characters
    that merely repeat or continue a run (aaaa, 1234, qwerty) are not counted. The estimate is
    the remainder's Shannon entropy per character times its unpredictable characters: a
    ``secrets.token_urlsafe(48)`` value scores about 350 bits, ``token_hex(32)`` about 240, ``token_hex(16)`` (32 hex digits) about 105.
    """
    if key == DEVELOPMENT_SECRET_KEY:
        return "is the development default"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if (key + key).find(key, 1) < len(key):
        return "repeats a shorter pattern"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return f"uses fewer than {MIN_SECRET_KEY_DISTINCT} distinct characters"
    rest = _GUESSABLE_WORDS.sub("", key)
    counts = Counter(rest)
    per_char = (
        -sum(n / len(rest) * math.log2(n / len(rest)) for n in counts.values()) if rest else 0
    )
    surprising = sum(
        1
        for i, char in enumerate(rest)
        if i == 0 or not _predictable(rest[i - 1], char, rest[i - 2] if i >= 2 else None)
    )
    if per_char * surprising < MIN_SECRET_KEY_BITS:
        return (
            f"looks guessable (about {per_char * surprising:.0f} bits of randomness once common "
            f"words and runs are discounted; at least {MIN_SECRET_KEY_BITS} are needed)"
        )
    return None


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


_NATS_SERVER = re.compile(r"^(?:(?:nats|tls)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def nats_servers(value: str) -> list[str]:
    """The ``LABSHARE_NATS_URL`` list as ``nats://host:port`` URLs; ``ValueError`` names a bad one."""
    servers = []
    for entry in (part.strip() for part in value.split(",")):
        match = _NATS_SERVER.match(entry)
        if not entry or match is None or not 1 <= int(match.group(1)) <= 65535:
            raise ValueError(
                f"{entry!r} is not a NATS server address; give comma-separated "
                "nats://host:port entries"
            )
        servers.append(entry if "://" in entry else f"nats://{entry}")
    return servers


class MqttProtocol(StrEnum):
    """MQTT version of the ingest worker; AUTO tries 5 and falls back to 3.1.1 if refused."""

    AUTO = "auto"
    V5 = "5"
    V311 = "3.1.1"


class BrokerAccounts(StrEnum):
    """How the broker learns about gateway accounts when they are registered, rotated or retired."""

    MANUAL = "manual"
    DYNSEC = "dynsec"
    FILES = "files"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABSHARE_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/labshare"
    database_pool_size: int = Field(default=5, ge=1)
    database_read_url: str | None = Field(
        default=None,
        description="A PostgreSQL streaming replica of `LABSHARE_DATABASE_URL` (same URL form). "
        "Charts, exports, catalogue search and the sharing evaluation read from it while it is "
        "within `LABSHARE_DATABASE_READ_MAX_LAG_S` of the primary; writes and the pages that "
        "show a user's own changes stay on the primary. Unset: everything on the primary.",
    )
    database_read_max_lag_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="How far (seconds) the replica may be behind before its reads go to the "
        "primary; checked at most once a second per process. A replica that is not streaming "
        "or not reachable is not used.",
    )

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    # MQTT 3.1.1 has no shared subscriptions: only one ingest worker may run on it.
    mqtt_protocol: MqttProtocol = MqttProtocol.AUTO
    nats_url: str | None = Field(
        default=None,
        description="Comma-separated NATS servers of a NATS broker cluster (`nats://host:4222,"
        "nats://host2:4222,...`; `host:port` also works). Set: the ingest worker consumes "
        "through a durable JetStream pull consumer (`LABSHARE_NATS_DURABLE`) on the cluster's "
        "MQTT message stream instead of an MQTT session, with `LABSHARE_MQTT_USERNAME` / "
        "`LABSHARE_MQTT_PASSWORD` as its NATS credentials; see the broker tier in "
        "docs/production.md. Unset: MQTT ingest as before.",
    )
    nats_durable: str = Field(
        default="labshare-ingest",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Name of the durable JetStream consumer every ingest worker shares (each "
        "message goes to one of them).",
    )
    nats_ack_wait_s: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description="How long JetStream waits for a worker's acknowledgement (sent after "
        "COMMIT) before it delivers the message again, to any worker.",
    )

    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    access_token_expire_minutes: int = Field(default=12 * 60, ge=1)

    web_dist: Path = _REPO_ROOT / "web" / "dist"
    ingest_enabled: bool = True
    # MQTT client id of the ingest worker; give each worker its own when running several.
    ingest_client_id: str | None = None
    ingest_max_payload_bytes: int = Field(
        default=262_144,
        ge=1024,
        description="Largest MQTT payload the ingest worker decodes; longer ones become "
        "`payload_too_large` dead letters. Keep the broker's `message_size_limit` at the same value.",
    )
    ingest_dead_letters_per_minute: int = Field(
        default=60,
        ge=1,
        description="Dead letters stored with their payload per gateway and minute; beyond it, "
        "one counted `suppressed` summary row a minute.",
    )
    log_format: LogFormat = LogFormat.JSON
    log_level: str = "INFO"
    readiness_timeout_s: float = Field(default=2.0, gt=0)

    demo_gateway_secret: SecretStr | None = None

    broker_accounts: BrokerAccounts = Field(
        default=BrokerAccounts.MANUAL,
        description="How Mosquitto's accounts follow the gateway registry. `manual`: run "
        "`labshare-server mosquitto-auth` yourself after a change. `dynsec`: the server sends "
        "each change to the dynamic-security plugin at once (`$CONTROL/dynamic-security/v1`) "
        "under `LABSHARE_BROKER_ADMIN_USERNAME`. `files`: the server rewrites "
        "`LABSHARE_BROKER_PASSWD_FILE` and `LABSHARE_BROKER_ACL_FILE` and sends SIGHUP to the "
        "pid in `LABSHARE_BROKER_PID_FILE`. In both automatic modes a change the broker did not "
        "take is not saved: the request answers 503 `broker_update_failed`.",
    )
    broker_admin_username: str | None = Field(
        default=None,
        description="`dynsec`: the broker account allowed to send dynamic-security commands "
        "(`mosquitto-auth --dynsec` writes it with that right only).",
    )
    broker_admin_password: SecretStr | None = Field(default=None, description="Its password.")
    broker_passwd_file: Path | None = Field(
        default=None, description="`files`: Mosquitto's `password_file`, rewritten atomically."
    )
    broker_acl_file: Path | None = Field(
        default=None, description="`files`: Mosquitto's `acl_file`, rewritten atomically."
    )
    broker_pid_file: Path | None = Field(
        default=None,
        description="`files`: the file holding Mosquitto's process id (its `pid_file`); the "
        "server sends that process SIGHUP to reload the files.",
    )
    broker_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long a registry change waits for the broker (connect and answer).",
    )
    gateway_mqtt_host: str | None = Field(
        default=None,
        description="Broker host written into the edge-agent configuration a lab manager "
        "downloads, as gateways reach it (unset: `LABSHARE_MQTT_HOST`).",
    )
    gateway_mqtt_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Its port (unset: `LABSHARE_MQTT_PORT`).",
    )

    @field_validator("nats_url")
    @classmethod
    def _nats_servers(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        nats_servers(value)  # raises ValueError naming the bad entry
        return value

    @model_validator(mode="after")
    def _broker_accounts_complete(self) -> Self:
        if self.broker_accounts is BrokerAccounts.DYNSEC and not (
            self.broker_admin_username and self.broker_admin_password
        ):
            raise ValueError(
                "LABSHARE_BROKER_ACCOUNTS=dynsec needs LABSHARE_BROKER_ADMIN_USERNAME and "
                "LABSHARE_BROKER_ADMIN_PASSWORD"
            )
        if self.broker_accounts is BrokerAccounts.FILES and not (
            self.broker_passwd_file and self.broker_acl_file and self.broker_pid_file
        ):
            raise ValueError(
                "LABSHARE_BROKER_ACCOUNTS=files needs LABSHARE_BROKER_PASSWD_FILE, "
                "LABSHARE_BROKER_ACL_FILE and LABSHARE_BROKER_PID_FILE"
            )
        return self

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        if self.environment is Environment.DEVELOPMENT:
            return self
        key = self.secret_key.get_secret_value()
        # Test environments only need a non-default key of full length (tests use fixed
        # readable keys); production must also be hard to guess.
        if self.environment is Environment.PRODUCTION:
            weakness = secret_key_weakness(key)
        elif key == DEVELOPMENT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
            weakness = f"is the default or shorter than {MIN_SECRET_KEY_LENGTH} characters"
        else:
            weakness = None
        if weakness is not None:
            raise ValueError(
                f"LABSHARE_SECRET_KEY {weakness}; set it to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters unless LABSHARE_ENVIRONMENT=development "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    def demo_gateway_secret_value(self) -> str:
        """The demo gateway's secret; only development may fall back to a default."""
        if self.demo_gateway_secret is not None:
            return self.demo_gateway_secret.get_secret_value()
        if self.environment is not Environment.DEVELOPMENT:
            raise ValueError(
                "LABSHARE_DEMO_GATEWAY_SECRET must be set to seed demo data outside development"
            )
        return DEVELOPMENT_DEMO_GATEWAY_SECRET


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
