"""The gateway registry: edge gateways as principals with their own MQTT credentials."""

from server.gateways.models import Gateway, GatewayStatus

__all__ = ["Gateway", "GatewayStatus"]
