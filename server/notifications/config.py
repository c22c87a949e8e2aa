"""Settings of the notification dispatcher: e-mail and the outbox (``LABSHARE_*`` variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["NotificationSettings"]


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABSHARE_", extra="ignore")

    smtp_host: str | None = None  # no host: e-mail is skipped, in-app notifications still work
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_from: str = "labshare <noreply@labshare.local>"
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1)
