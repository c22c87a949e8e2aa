"""Server settings, read from ``LABSHARE_*`` environment variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEVELOPMENT_SECRET_KEY",
    "MIN_SECRET_KEY_LENGTH",
    "Environment",
    "LogFormat",
    "MqttProtocol",
    "Settings",
    "get_settings",
]

# Only good enough for a laptop: every environment but development refuses it
# (see Settings._refuse_weak_secret).
DEVELOPMENT_SECRET_KEY = "labshare-development-secret-key-change-me"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32
DEVELOPMENT_DEMO_GATEWAY_SECRET = "demo-gateway-secret"  # noqa: S105

_REPO_ROOT = Path(__file__).resolve().parents[2]


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class MqttProtocol(StrEnum):
    """MQTT version of the ingest worker; AUTO tries 5 and falls back to 3.1.1 if refused."""

    AUTO = "auto"
    V5 = "5"
    V311 = "3.1.1"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABSHARE_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/labshare"
    database_pool_size: int = Field(default=5, ge=1)

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    # MQTT 3.1.1 has no shared subscriptions: only one ingest worker may run on it.
    mqtt_protocol: MqttProtocol = MqttProtocol.AUTO

    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    access_token_expire_minutes: int = Field(default=12 * 60, ge=1)

    web_dist: Path = _REPO_ROOT / "web" / "dist"
    ingest_enabled: bool = True
    # MQTT client id of the ingest worker; give each worker its own when running several.
    ingest_client_id: str | None = None
    # Largest MQTT payload ingest decodes (the broker's message_size_limit should match).
    ingest_max_payload_bytes: int = Field(default=262_144, ge=1024)
    # Dead letters stored per gateway and minute; beyond, a counted summary record.
    ingest_dead_letters_per_minute: int = Field(default=60, ge=1)
    log_format: LogFormat = LogFormat.JSON
    log_level: str = "INFO"
    readiness_timeout_s: float = Field(default=2.0, gt=0)

    demo_gateway_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        if self.environment is not Environment.DEVELOPMENT:
            key = self.secret_key.get_secret_value()
            if key == DEVELOPMENT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(
                    "LABSHARE_SECRET_KEY must be set to a random value of at least "
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
