"""Probes of the running demo over its HTTP API: is it up, is the chamber streaming and in a state."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from server.demo.console import DemoPlaces
from server.demo.credentials import DEMO_PASSWORD
from server.demo.options import CHAMBER_MODEL, DEMO_LOGINS

__all__ = ["demo_places", "http_ok", "wait_for_chamber_state", "wait_for_live_temperature"]


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _api_json(url: str, *, token: str | None = None, form: dict[str, str] | None = None) -> Any:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data)  # noqa: S310 - our own http URL
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def _chamber(api: str) -> tuple[str, dict[str, Any]]:
    """The lab manager's token and the chamber as the API lists it."""
    token = _api_json(
        f"{api}/auth/token",
        form={"username": DEMO_LOGINS[0][0], "password": DEMO_PASSWORD},
    )["access_token"]
    instruments = _api_json(f"{api}/instruments", token=token)
    return token, next(i for i in instruments if i.get("model") == CHAMBER_MODEL)


def wait_for_live_temperature(base_url: str, *, timeout_s: float) -> float | None:
    """The chamber's latest temperature as the API shows it to its lab manager, once stored."""
    api = f"{base_url}/api/v1"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            token, chamber = _chamber(api)
            for reading in _api_json(f"{api}/instruments/{chamber['id']}/latest", token=token):
                if reading.get("point_key") == "temperature" and reading.get("value") is not None:
                    return float(reading["value"])
        except (urllib.error.URLError, OSError, ValueError, KeyError, StopIteration):
            pass
        time.sleep(1.0)
    return None


def demo_places(base_url: str) -> DemoPlaces:
    """The chamber's lab and page, for the welcome box (empty when the API does not answer)."""
    api = f"{base_url}/api/v1"
    try:
        token, chamber = _chamber(api)
        board = _api_json(f"{api}/labs/{chamber['lab_id']}/board", token=token)
    except (urllib.error.URLError, OSError, ValueError, KeyError, StopIteration):
        return DemoPlaces()
    state = next(
        (i.get("state") for i in board.get("instruments", []) if i.get("id") == chamber["id"]),
        None,
    )
    return DemoPlaces(
        thermal_lab_id=str(chamber["lab_id"]), chamber_id=str(chamber["id"]), chamber_state=state
    )


def wait_for_chamber_state(base_url: str, *, timeout_s: float) -> DemoPlaces:
    """Wait until the board knows the chamber's state (running, idle, ...) from its telemetry."""
    deadline = time.monotonic() + timeout_s
    places = demo_places(base_url)
    while places.chamber_state is None and time.monotonic() < deadline:
        time.sleep(1.0)
        places = demo_places(base_url)
    return places
