"""Unit strings are checked where they enter the catalogue.

The catalogue reads units with the registry gateways and the ingest use
(:mod:`mqtt_contract.units`), so a channel's canonical unit means the same everywhere:
``rpm`` is revolutions per minute, ``%RH`` relative humidity, ``pH`` the acidity scale.
"""

from __future__ import annotations

from mqtt_contract.units import is_known_unit

__all__ = ["is_known_unit"]
