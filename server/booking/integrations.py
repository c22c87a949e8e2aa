"""Seams to the other domains booking depends on: calibration usability, operator
authorisation and instrument states.

Each is imported lazily and by its agreed name, so booking works (and says so in the log)
while a neighbouring domain is not installed, and uses it as soon as it is.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = [
    "BlockedSpan",
    "StateSpan",
    "blocked_spans",
    "is_operator_authorised",
    "record_operator_use",
    "running_spans",
]

logger = logging.getLogger(__name__)
_warned: set[str] = set()


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


def _optional(module_name: str, attribute: str) -> Any | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        if module_name not in _warned:
            _warned.add(module_name)
            logger.warning("%s is not installed; bookings do without it", module_name)
        return None
    return getattr(module, attribute, None)


async def blocked_spans(
    session: AsyncSession, instrument_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> dict[uuid.UUID, list[BlockedSpan]]:
    """Calibration expiry, out-of-service and maintenance periods per instrument."""
    function = _optional("server.calibration.usability", "blocked_intervals")
    if function is None or not instrument_ids:
        return {}
    result: dict[uuid.UUID, list[Any]] = await function(session, instrument_ids, start, end)
    return {
        instrument_id: [
            BlockedSpan(b.start, b.end, str(getattr(b.reason, "value", b.reason)), b.detail)
            for b in blocked
            # "gateway offline" describes now, not the future a booking is for.
            if str(getattr(b.reason, "value", b.reason)) != "gateway_offline"
        ]
        for instrument_id, blocked in result.items()
    }


async def is_operator_authorised(
    session: AsyncSession, user_id: uuid.UUID, instrument_id: uuid.UUID, at: datetime
) -> bool | None:
    """The registry's verdict, or None when no registry of authorisations is installed."""
    for module_name in ("server.registry.authorisations", "server.calibration.authorisations"):
        function = _optional(module_name, "is_authorised")
        if function is not None:
            return bool(await function(session, user_id, instrument_id, at))
    return None


async def record_operator_use(
    session: AsyncSession, user_id: uuid.UUID, instrument_id: uuid.UUID, at: datetime
) -> None:
    """Tell the registry the operator used the instrument (it restarts the lapse period)."""
    function = _optional("server.registry.authorisations", "record_use")
    if function is not None:
        await function(session, user_id, instrument_id, at)


async def running_spans(
    session: AsyncSession, instrument_id: uuid.UUID, start: datetime, end: datetime
) -> list[StateSpan] | None:
    """State intervals of the instrument, or None when telemetry states are not installed."""
    function = _optional("server.telemetry.states", "state_intervals")
    if function is None:
        return None
    intervals = await function(session, instrument_id, start, end)
    return [
        StateSpan(str(getattr(i.state, "value", i.state)), i.start_at, i.end_at) for i in intervals
    ]
