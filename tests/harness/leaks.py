"""Fail any test that leaves threads or asyncio tasks running behind it.

Threads: those alive after the test's teardown that were not alive before its setup, after a
short grace period. Asyncio tasks: those still pending when the test's event loop is closed
(asyncio.Runner cancels them quietly; we record them first).
"""

from __future__ import annotations

import asyncio
import asyncio.runners
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

_allowed_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_pending_at_close: list[str] = []


def allow_thread(thread: threading.Thread) -> None:
    """Exempt a long-lived thread owned by a session-scoped fixture."""
    _allowed_threads.add(thread)


def _describe(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", repr(coro))
    return f"{task.get_name()} ({name})"


def install_task_recorder() -> None:
    """Wrap asyncio.Runner's final cancellation so pending tasks are recorded, not hidden."""
    original = asyncio.runners._cancel_all_tasks  # type: ignore[attr-defined]
    if getattr(original, "_labshare_wrapped", False):
        return

    def recording(loop: asyncio.AbstractEventLoop) -> None:
        _pending_at_close.extend(_describe(t) for t in asyncio.all_tasks(loop) if not t.done())
        original(loop)

    recording._labshare_wrapped = True  # type: ignore[attr-defined]
    asyncio.runners._cancel_all_tasks = recording  # type: ignore[attr-defined]


@dataclass
class LeakReport:
    threads_before: set[int] = field(default_factory=set)

    @classmethod
    def start(cls) -> LeakReport:
        _pending_at_close.clear()
        return cls({t.ident for t in threading.enumerate() if t.ident is not None})

    def finish(self, grace: float = 3.0) -> list[str]:
        problems = [f"asyncio task left running: {name}" for name in _pending_at_close]
        _pending_at_close.clear()
        deadline = time.monotonic() + grace
        while True:
            leaked = [
                t
                for t in threading.enumerate()
                if t.ident not in self.threads_before and t not in _allowed_threads and t.is_alive()
            ]
            if not leaked or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        problems += [f"thread left running: {t.name} (daemon={t.daemon})" for t in leaked]
        return problems
