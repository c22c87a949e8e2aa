"""Every table of the schema, so ``SQLModel.metadata`` is complete (Alembic, tests).

Telemetry, dead letters and sequence gaps are written in bulk by the ingest worker (binary
COPY), not through the ORM, so they are plain SQLAlchemy Core tables.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlmodel import SQLModel

from server.auth.models import AppUser, Organisation
from server.billing.models import Charge, CostModel, CostRate, Voucher, VoucherUse
from server.booking.models import Blackout, Booking, BookingPolicy, WaitlistEntry
from server.catalog.models import Channel, Instrument, Lab
from server.gateways.models import Gateway
from server.notifications.models import EmailPreference, Notification, OutboxMessage

__all__ = [
    "AppUser",
    "Blackout",
    "Booking",
    "BookingPolicy",
    "Channel",
    "Charge",
    "CostModel",
    "CostRate",
    "EmailPreference",
    "Gateway",
    "Instrument",
    "Lab",
    "Notification",
    "Organisation",
    "OutboxMessage",
    "Voucher",
    "VoucherUse",
    "WaitlistEntry",
    "dead_letter_table",
    "gateway_seq_gap_table",
    "metadata",
    "telemetry_table",
]

metadata = SQLModel.metadata

telemetry_table = Table(
    "telemetry",
    metadata,
    Column("channel_id", Integer, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("value", Double),
    Column("quality", SmallInteger, nullable=False),
    Column("seq", BigInteger),
    # Column order (channel_id, ts) makes this the index "latest per channel" reads backwards.
    UniqueConstraint("channel_id", "ts", name="telemetry_channel_ts_key"),
)

dead_letter_table = Table(
    "dead_letter",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("topic", Text, nullable=False),
    Column("gateway_key", Text),
    Column("reason", Text, nullable=False),
    Column("payload", LargeBinary),
)

gateway_seq_gap_table = Table(
    "gateway_seq_gap",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("gateway_id", ForeignKey("gateway.id"), nullable=False, index=True),
    Column("first_missing", BigInteger, nullable=False),
    Column("last_missing", BigInteger, nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
