"""What the calibration programme tells the domains above it, without importing them.

Booking sits above calibration: it registers a listener here (``server.app`` wires it) and is
told at once, inside the same transaction, when an instrument goes out of service, so the
bookings it can no longer serve are flagged before the request returns rather than at the
next pass of the booking jobs (which re-check every instrument anyway).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["UnusableListener", "instrument_became_unusable", "on_instrument_unusable"]

UnusableListener = Callable[[AsyncSession, datetime, Sequence[uuid.UUID]], Awaitable[object]]
_listeners: list[UnusableListener] = []


def on_instrument_unusable(listener: UnusableListener) -> None:
    """Call ``listener(session, since, instrument_ids)`` when instruments become unusable."""
    if listener not in _listeners:
        _listeners.append(listener)


async def instrument_became_unusable(
    session: AsyncSession, since: datetime, instrument_ids: Sequence[uuid.UUID]
) -> None:
    for listener in _listeners:
        await listener(session, since, instrument_ids)
