"""What the ingest worker calls for inspection messages (it owns MQTT, acks and dead letters).

The worker hands over decoded :class:`~mqtt_contract.inspection_v1.InspectionBatch` messages
of known gateways; :meth:`InspectionSink.store` writes them in one transaction of its own and
returns, per message, the results it refused (the worker dead-letters those with the payload).
The worker acknowledges the messages only after this has committed; a redelivery after a crash
finds every ``(gateway, seq)`` stored and adds nothing, so no result is plotted or judged twice.

A database outage surfaces as ``psycopg.OperationalError`` (unwrapped from SQLAlchemy), which
the worker treats like any outage: wait, reconnect, try again, acknowledge nothing meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from mqtt_contract.inspection_v1 import InspectionBatch
from server.inspection.service import Refused, StoreOutcome, ingest_batch

__all__ = ["InspectionSink", "SinkOutcome"]


@dataclass(slots=True)
class SinkOutcome:
    stored: int
    duplicates: int
    alarms_raised: int
    refused: list[list[Refused]]
    """Per message, in the order given."""


class InspectionSink:
    def __init__(self, database_url: str) -> None:
        self._engine: AsyncEngine = create_async_engine(
            database_url, pool_size=1, max_overflow=1, pool_pre_ping=True
        )
        self._sessions = async_sessionmaker(
            self._engine, class_=AsyncSession, expire_on_commit=False
        )

    async def store(self, messages: Sequence[tuple[uuid.UUID, InspectionBatch]]) -> SinkOutcome:
        """Store ``(gateway id, batch)`` pairs in one transaction and COMMIT."""
        total = SinkOutcome(0, 0, 0, [])
        try:
            async with self._sessions() as session, session.begin():
                conn = await session.connection()
                gateway_ids = sorted({g for g, _ in messages})
                rows = await conn.execute(
                    text("SELECT id, organisation_id FROM gateway WHERE id = ANY(:ids)"),
                    {"ids": gateway_ids},
                )
                organisation = {row[0]: row[1] for row in rows}
                for gateway_id, batch in messages:
                    org = organisation.get(gateway_id)
                    if org is None:
                        total.refused.append(
                            [
                                Refused(
                                    None, "unknown_gateway", "the gateway is no longer registered"
                                )
                            ]
                        )
                        continue
                    outcome = await ingest_batch(session, gateway_id, org, batch)
                    _add(total, outcome.store)
                    total.refused.append(outcome.refused)
        except DBAPIError as exc:
            # The worker retries driver-level outages; give it the driver's exception.
            if exc.orig is not None:
                raise exc.orig from exc
            raise
        return total

    async def close(self) -> None:
        await self._engine.dispose()


def _add(total: SinkOutcome, outcome: StoreOutcome) -> None:
    total.stored += outcome.stored
    total.duplicates += outcome.duplicates
    total.alarms_raised += len(outcome.alarms_raised)
