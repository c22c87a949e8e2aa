"""``Clock``: the request's "now" as a dependency, so tests can fix the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

__all__ = ["Clock"]


def _clock(request: Request) -> datetime:
    # Tests put a fixed clock on app.state; production reads the wall clock.
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


Clock = Annotated[datetime, Depends(_clock)]
