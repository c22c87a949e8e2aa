"""Calibration status at a glance, with an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server.calibration.status import CalibrationState, CertificateSpan, calibration_status

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A certificate that lapses on Wednesday 2026-12-02 at noon, Beijing time.
VALID_TO = datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI)
CERT = CertificateSpan("JJ2025-0117", VALID_TO - timedelta(days=365), VALID_TO, passed=True)


def _state(now: datetime, **kwargs: object) -> CalibrationState:
    args: dict[str, object] = {
        "calibration_required": True,
        "certificates": [CERT],
        "out_of_service": False,
        "lead": timedelta(days=7),
    }
    args.update(kwargs)
    return calibration_status(now=now, **args).state  # type: ignore[arg-type]


def test_status_changes_exactly_at_valid_to_mid_week() -> None:
    assert _state(VALID_TO - timedelta(microseconds=1)) is CalibrationState.DUE_SOON
    assert _state(VALID_TO) is CalibrationState.EXPIRED


def test_due_soon_starts_exactly_lead_days_before_valid_to() -> None:
    lead_start = VALID_TO - timedelta(days=7)
    assert _state(lead_start - timedelta(seconds=1)) is CalibrationState.VALID
    assert _state(lead_start) is CalibrationState.DUE_SOON
    assert _state(lead_start - timedelta(days=2), lead=timedelta(days=10)) is (
        CalibrationState.DUE_SOON
    )


def test_out_of_service_wins_over_a_valid_certificate() -> None:
    assert _state(VALID_TO - timedelta(days=100), out_of_service=True) is (
        CalibrationState.OUT_OF_SERVICE
    )


def test_not_required_and_never_calibrated() -> None:
    assert _state(VALID_TO, calibration_required=False) is CalibrationState.NOT_REQUIRED
    assert _state(VALID_TO - timedelta(days=100), certificates=[]) is CalibrationState.EXPIRED


def test_a_failed_certificate_does_not_make_an_instrument_valid() -> None:
    failed = CertificateSpan("JJ-F", CERT.valid_from, CERT.valid_to, passed=False)
    assert _state(VALID_TO - timedelta(days=100), certificates=[failed]) is (
        CalibrationState.EXPIRED
    )


def test_next_due_is_the_current_certificate_end() -> None:
    status = calibration_status(
        now=VALID_TO - timedelta(days=100),
        calibration_required=True,
        certificates=[CERT],
        out_of_service=False,
    )
    assert status.next_due_at == VALID_TO
    assert status.certificate_number == "JJ2025-0117"
