"""Settings of the telemetry jobs and live streams (``LABSHARE_TELEMETRY_*`` variables)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["TelemetrySettings"]


class TelemetrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABSHARE_TELEMETRY_", extra="ignore")

    # State evaluation, rollups and retention run inside the API process (no cron).
    jobs_enabled: bool = True
    state_interval_s: float = Field(default=5.0, gt=0)
    rollup_interval_s: float = Field(default=60.0, gt=0)
    retention_interval_s: float = Field(default=3600.0, gt=0)
    # Each API process keeps one broker connection for live streams and pushed documents.
    live_enabled: bool = True
