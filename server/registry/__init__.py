"""Instrument registry: CMA qualification, equipment history, authorisations."""

from server.registry.models import (
    CmaCertificate,
    CmaScopeItem,
    EquipmentEvent,
    InstrumentAttachment,
    InstrumentScopeItem,
    OperatorAuthorisation,
    RegistryNotice,
)

__all__ = [
    "CmaCertificate",
    "CmaScopeItem",
    "EquipmentEvent",
    "InstrumentAttachment",
    "InstrumentScopeItem",
    "OperatorAuthorisation",
    "RegistryNotice",
]
