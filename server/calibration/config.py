"""Settings of the calibration jobs (``LABSHARE_*`` variables).

``LABSHARE_CALIBRATION_REMINDER_LEAD_DAYS`` takes whole days before a certificate's end,
as ``30,7`` or as JSON ``[30, 7]``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["CalibrationSettings", "get_calibration_settings"]


class CalibrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABSHARE_", extra="ignore")

    calibration_reminder_lead_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [30, 7], min_length=1
    )
    # Push changed correction sets to the gateways from the job runner (a certificate
    # recorded while the broker was away, one that became valid or lapsed since).
    calibration_push_enabled: bool = True

    @field_validator("calibration_reminder_lead_days", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return text[1:-1].split(",") if text.endswith("]") else text
            return [part for part in text.split(",") if part.strip()]
        return value

    @field_validator("calibration_reminder_lead_days")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 365 for day in value):
            raise ValueError("each lead time is a whole number of days from 1 to 365")
        return sorted(set(value), reverse=True)


@lru_cache
def get_calibration_settings() -> CalibrationSettings:
    """Settings from the environment, read once per process."""
    return CalibrationSettings()
