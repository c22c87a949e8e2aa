"""The instrument catalogue: labs, instruments and their telemetry channels."""

from server.catalog.models import Channel, Instrument, Lab

__all__ = ["Channel", "Instrument", "Lab"]
