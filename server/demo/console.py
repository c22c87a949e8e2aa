"""What the demo prints: the framed summary, where to look, and failures with their log."""

from __future__ import annotations

import signal
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from server.demo.processes import (
    tail,
)

__all__ = ["DemoPlaces", "describe_exit", "places_to_look", "render_box", "report_failure"]


@dataclass(frozen=True)
class DemoPlaces:
    """Ids the welcome box needs to link straight to the interesting pages."""

    thermal_lab_id: str | None = None
    chamber_id: str | None = None
    chamber_state: str | None = None


def places_to_look(url: str, places: DemoPlaces) -> list[str]:
    """The pages that show each part of labshare and who sees them best, two lines each.

    A description above its address keeps the box narrow enough for an 80-column terminal.
    """
    board = f"{url}board/{places.thermal_lab_id}" if places.thermal_lab_id else f"{url}board"
    rows: list[tuple[str, str]] = [
        ("live board, tiles coloured by state (manager@zjim.demo)", board)
    ]
    if places.chamber_id is not None:
        rows.append(
            (
                "the chamber: live values, history chart, calibration",
                f"{url}instruments/{places.chamber_id}",
            )
        )
    rows += [
        ("instruments of your institution, or the open ones (buyer)", url),
        ("catalogue: 4 institutions, certificates in every status", f"{url}catalogue"),
        ("bookings: week grid, fee quote, approvals (manager)", f"{url}bookings"),
        ("statements with voucher shares (buyer@jingce.demo)", f"{url}statements"),
        ("gateway demo-gw-01: connection, lag, spool (manager)", f"{url}gateways"),
    ]
    lines: list[str] = []
    for what, link in rows:
        lines += [f"  {what}", f"    {link}"]
    return lines


def _display_width(text: str) -> int:
    # Chinese characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_box(lines: Sequence[str]) -> str:
    """Lines framed in a box that stays aligned with Chinese text."""
    width = max(_display_width(line) for line in lines)
    top = "+" + "-" * (width + 2) + "+"
    body = [f"| {line}{' ' * (width - _display_width(line))} |" for line in lines]
    return "\n".join([top, *body, top])


def describe_exit(code: int | None) -> str:
    if code is None:
        return "not started"
    if code < 0:
        # uvicorn and others re-raise the stop signal after a graceful shutdown.
        return f"ended by {signal.Signals(-code).name}"
    return f"exit {code}"


def report_failure(message: str, log_path: Path | None) -> None:
    print(f"\nerror: {message}", file=sys.stderr, flush=True)
    if log_path is not None:
        last = tail(log_path, 25)
        print(f"last lines of {log_path}:", file=sys.stderr)
        for line in last.splitlines() or ["(empty)"]:
            print(f"  | {line}", file=sys.stderr)
        print(file=sys.stderr, flush=True)
