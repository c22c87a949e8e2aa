"""Instrument registry: CMA qualification, equipment history, authorisations, audit trail."""

from server.registry.models import (
    AuditLog,
    CmaCertificate,
    CmaScopeItem,
    EquipmentEvent,
    InstrumentAttachment,
    InstrumentScopeItem,
    OperatorAuthorisation,
    RegistryNotice,
)

__all__ = [
    "AuditLog",
    "CmaCertificate",
    "CmaScopeItem",
    "EquipmentEvent",
    "InstrumentAttachment",
    "InstrumentScopeItem",
    "OperatorAuthorisation",
    "RegistryNotice",
]
