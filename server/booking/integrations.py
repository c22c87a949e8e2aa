"""What booking reads from the domains below it: calibration usability, operator
authorisation and instrument states, in the shapes the booking rules use."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from server.calibration.usability import UnusableReason, blocked_intervals
from server.registry.authorisations import is_authorised, record_use
from server.telemetry.states import state_intervals

__all__ = [
    "BlockedSpan",
    "StateSpan",
    "blocked_spans",
    "is_operator_authorised",
    "record_operator_use",
    "running_spans",
]


@dataclass(frozen=True, slots=True)
class BlockedSpan:
    start: datetime
    end: datetime
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class StateSpan:
    state: str
    start: datetime
    end: datetime | None


async def blocked_spans(
    session: AsyncSession, instrument_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> dict[uuid.UUID, list[BlockedSpan]]:
    """Calibration expiry, out-of-service and maintenance periods per instrument."""
    if not instrument_ids:
        return {}
    result = await blocked_intervals(session, instrument_ids, start, end)
    return {
        instrument_id: [
            BlockedSpan(b.start, b.end, b.reason.value, b.detail)
            for b in blocked
            # "gateway offline" describes now, not the future a booking is for.
            if b.reason is not UnusableReason.GATEWAY_OFFLINE
        ]
        for instrument_id, blocked in result.items()
    }


async def is_operator_authorised(
    session: AsyncSession, user_id: uuid.UUID, instrument_id: uuid.UUID, at: datetime
) -> bool:
    """The registry's verdict on the operator's authorisation."""
    return await is_authorised(session, user_id, instrument_id, at)


async def record_operator_use(
    session: AsyncSession, user_id: uuid.UUID, instrument_id: uuid.UUID, at: datetime
) -> None:
    """Tell the registry the operator used the instrument (it restarts the lapse period)."""
    await record_use(session, user_id, instrument_id, at)


async def running_spans(
    session: AsyncSession, instrument_id: uuid.UUID, start: datetime, end: datetime
) -> list[StateSpan]:
    """State intervals of the instrument from its telemetry, oldest first."""
    intervals = await state_intervals(session, instrument_id, start, end)
    return [StateSpan(str(i.state), i.start_at, i.end_at) for i in intervals]
