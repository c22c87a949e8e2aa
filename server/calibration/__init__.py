"""Calibration programme: certificates, checks, status, usability and out-of-tolerance impact."""

from server.calibration.models import (
    CalibrationCertificate,
    DataExport,
    ImpactReport,
    IntermediateCheck,
    MaintenanceWindow,
    OutOfService,
)

__all__ = [
    "CalibrationCertificate",
    "DataExport",
    "ImpactReport",
    "IntermediateCheck",
    "MaintenanceWindow",
    "OutOfService",
]
