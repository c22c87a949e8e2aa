"""Calibration status at a glance (ISO/IEC 17025 §6.4.8): pure rules over loaded records.

The status changes exactly at a certificate's ``valid_to`` (half-open validity) and enters
``due_soon`` exactly ``lead`` before it, with the clock passed in, never read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "DEFAULT_DUE_SOON_LEAD",
    "CalibrationState",
    "CalibrationStatus",
    "CertificateSpan",
    "calibration_status",
]

DEFAULT_DUE_SOON_LEAD = timedelta(days=30)


class CalibrationState(StrEnum):
    VALID = "valid"
    DUE_SOON = "due_soon"
    EXPIRED = "expired"
    OUT_OF_SERVICE = "out_of_service"
    NOT_REQUIRED = "not_required"


@dataclass(frozen=True, slots=True)
class CertificateSpan:
    number: str
    valid_from: datetime
    valid_to: datetime
    passed: bool


@dataclass(frozen=True, slots=True)
class CalibrationStatus:
    state: CalibrationState
    certificate_number: str | None
    valid_to: datetime | None
    # When the next calibration is due: the valid certificate's end, or the last one's.
    next_due_at: datetime | None


def calibration_status(
    *,
    now: datetime,
    calibration_required: bool,
    certificates: Sequence[CertificateSpan],
    out_of_service: bool,
    lead: timedelta = DEFAULT_DUE_SOON_LEAD,
) -> CalibrationStatus:
    passing = [c for c in certificates if c.passed]
    current = max(
        (c for c in passing if c.valid_from <= now < c.valid_to),
        key=lambda c: c.valid_to,
        default=None,
    )
    latest = max(passing, key=lambda c: c.valid_to, default=None)
    if out_of_service:
        state = CalibrationState.OUT_OF_SERVICE
    elif not calibration_required:
        state = CalibrationState.NOT_REQUIRED
    elif current is None:
        state = CalibrationState.EXPIRED
    elif current.valid_to - now <= lead:
        state = CalibrationState.DUE_SOON
    else:
        state = CalibrationState.VALID
    shown = current or latest
    return CalibrationStatus(
        state=state,
        certificate_number=shown.number if shown else None,
        valid_to=shown.valid_to if shown else None,
        next_due_at=shown.valid_to if shown and calibration_required else None,
    )
