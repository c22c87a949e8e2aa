"""Edge gateways: principals with their own MQTT credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Text
from sqlmodel import Field, SQLModel

__all__ = ["Gateway", "GatewayStatus"]


class GatewayStatus(StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


class Gateway(SQLModel, table=True):
    __tablename__ = "gateway"
    __table_args__ = (
        CheckConstraint("status IN ('unknown', 'online', 'offline')", name="gateway_status_check"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key: str = Field(sa_type=Text, unique=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(sa_type=Text)
    secret_hash: str = Field(sa_type=Text)
    # The same secret hashed the way Mosquitto's password file wants it, so the broker's
    # credentials can be regenerated from the registry without keeping the plaintext.
    mqtt_password_hash: str | None = Field(default=None, sa_type=Text)
    # And with bcrypt, the only hash nats-server takes (the NATS broker tier).
    nats_password_hash: str | None = Field(default=None, sa_type=Text)
    status: GatewayStatus = Field(
        default=GatewayStatus.UNKNOWN,
        sa_type=Text,
        sa_column_kwargs={"server_default": "unknown"},
    )
    last_seen_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
    )
    config_hash: str | None = Field(default=None, sa_type=Text)
    last_seq: int | None = Field(default=None, sa_type=BigInteger)
    # A retired gateway keeps its history but has no broker account any more.
    retired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
