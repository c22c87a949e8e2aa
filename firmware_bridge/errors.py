"""Turning an exception into a sentence that says what happened and what was being done.

``str()`` of several exceptions the bridge meets is empty (``TimeoutError()``, a bare
``ConnectionResetError()``, ``asyncio.IncompleteReadError`` in some versions), so a log line
built as ``f"link lost: {exc}"`` can end in nothing. :func:`describe` always names the
exception type and the operation, and adds the message and the underlying cause when there
is one.
"""

from __future__ import annotations

import asyncio

__all__ = ["describe"]


def _one(exc: BaseException) -> tuple[str, str]:
    return type(exc).__name__, str(exc).strip()


def describe(exc: BaseException, operation: str) -> str:
    """``"TimeoutError while reading weight (S) from 127.0.0.1:4001"``; never empty.

    ``operation`` is a gerund phrase ("reading ...", "connecting to ..."). The exception's
    message follows after a colon when it has one, and a chained cause (``raise X from Y``)
    is appended when it adds information.
    """
    name, text = _one(exc)
    sentence = f"{name} while {operation}" if operation else name
    if text:
        sentence += f": {text}"
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    # asyncio.timeout() chains the CancelledError it used internally: that is no cause.
    if cause is not None and cause is not exc and not isinstance(cause, asyncio.CancelledError):
        cause_name, cause_text = _one(cause)
        sentence += f" (caused by {cause_name}{': ' + cause_text if cause_text else ''})"
    return sentence
