"""Request and response bodies of the gateway registry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from mqtt_contract.v1 import KEY_PATTERN
from server.core.validators import check_text
from server.gateways.models import GatewayStatus

__all__ = [
    "GatewayChannel",
    "GatewayCreate",
    "GatewayCreated",
    "GatewayPublic",
    "GatewayRetired",
    "PushResult",
]


class GatewayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, Field(pattern=KEY_PATTERN, description="MQTT username and topic level")]
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
        AfterValidator(check_text),
    ]
    # Platform admins name the institution; lab managers always register for their own.
    organisation_id: uuid.UUID | None = None


class GatewayPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    organisation_id: uuid.UUID
    name: str
    status: GatewayStatus
    last_seen_at: datetime | None
    config_hash: str | None
    last_seq: int | None
    retired_at: datetime | None = Field(
        description="set once the gateway is retired: it has no broker account any more"
    )


class GatewayCreated(GatewayPublic):
    secret: str = Field(description="The MQTT password; shown once, stored only as hashes")
    broker_updated: bool = Field(
        description="true: the broker already accepts this secret; false: the broker's accounts "
        "are managed by hand here (`labshare-server mosquitto-auth`)"
    )


class GatewayRetired(GatewayPublic):
    broker_updated: bool = Field(
        description="true: the broker no longer has the gateway's account; false: managed by hand"
    )


class GatewayChannel(BaseModel):
    """A telemetry channel fed by the gateway: which point goes to which instrument, in what unit."""

    id: int
    device_key: str
    point_key: str
    name: str
    name_en: str | None
    canonical_unit: str
    instrument_id: uuid.UUID
    instrument_name: str
    instrument_name_en: str | None


class PushResult(BaseModel):
    """A document stored for a gateway and published to it, retained."""

    topic: str
    content_hash: str
    pushed: bool = Field(description="false: stored, but the broker was not reachable")
