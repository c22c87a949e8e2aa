"""Fuzz the whole OpenAPI with schemathesis against a real server: no request may make a 5xx.

A real uvicorn process serves the app on a free port, on the harness's PostgreSQL and Mosquitto,
with the demo data (bookings in every state, vouchers, the catalogue). schemathesis loads ``/openapi.json`` and
runs its examples, coverage (boundary values: NUL, huge integers, non-ASCII text, ...) and fuzzing
phases once per role: lab manager, lab staff, enterprise admin, platform admin, and no log-in.
Path ids are the demo's own, so requests reach past "not found" into the endpoints' work.

Checks (see docs/api.md, "Fuzzing the API"):

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: every status the server sends is documented for the operation;
- ``content_type_conformance``: the response's content type is the documented one (errors are
  ``application/problem+json``);
- ``response_headers_conformance``: documented response headers are present;
- ``ignored_auth``: operations behind the bearer token refuse requests without one;
- ``fallback_validation``: (ours) no error is answered by the database-error safety net
  (``/problems/invalid-value``): bad input must be caught at the edge, naming its field.

Bounded: ``LABSHARE_FUZZ_MAX_EXAMPLES`` examples per operation and phase (default 6) and
``LABSHARE_FUZZ_BUDGET_S`` seconds in all (default 150, shared among the roles).
``LABSHARE_FUZZ_SEED`` fixes the seed (default 9; set another to explore further).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from pydantic import SecretStr
from schemathesis.engine import Status, events, from_schema

from server.core.config import Environment, Settings
from server.demo.credentials import DEMO_PASSWORD
from server.demo.seed import DemoSeed, run_seed_demo
from tests.harness import MosquittoBroker, free_port, wait_for_port

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("LABSHARE_FUZZ_MAX_EXAMPLES", "6"))
BUDGET_S = float(os.environ.get("LABSHARE_FUZZ_BUDGET_S", "150"))
SEED = int(os.environ.get("LABSHARE_FUZZ_SEED", "9"))
ROLES: dict[str, str | None] = {
    "lab_manager": "manager@zjim.demo",
    "lab_staff": "staff@zjim.demo",
    "enterprise_admin": "buyer@jingce.demo",
    "platform_admin": "admin@platform.demo",
    "anonymous": None,
}
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
)


@dataclass(frozen=True, slots=True)
class LiveServer:
    base_url: str
    seed: DemoSeed
    log: Path


@schemathesis.check
def fallback_validation(ctx: schemathesis.CheckContext, response: Any, case: Any) -> bool | None:
    """Bad input must be refused by the API's own validation, naming the field, not by the
    database (the ``/problems/invalid-value`` safety net)."""
    if response.status_code == 422 and "/problems/invalid-value" in response.text:
        raise AssertionError(f"the database refused the input, not the API: {response.text}")
    return None


@pytest.fixture
def live_server(
    database_url: str, mosquitto: MosquittoBroker, tmp_path: Path
) -> Iterator[LiveServer]:
    secret = secrets.token_urlsafe(48)
    settings = Settings(
        environment=Environment.TEST,
        secret_key=SecretStr(secret),
        database_url=database_url,
        ingest_enabled=False,
        web_dist=tmp_path / "no-dist",
        demo_gateway_secret=SecretStr("demo-gateway-secret"),
    )
    seed = run_seed_demo(settings, catalogue=True)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LABSHARE_ENVIRONMENT": "test",
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_SECRET_KEY": secret,
        "LABSHARE_INGEST_ENABLED": "false",
        "LABSHARE_JOBS_ENABLED": "false",
        "LABSHARE_TELEMETRY_JOBS_ENABLED": "false",
        # The harness's broker: /readyz is ready, live streams and document pushes work.
        "LABSHARE_MQTT_HOST": mosquitto.host,
        "LABSHARE_MQTT_PORT": str(mosquitto.port),
        "LABSHARE_WEB_DIST": str(tmp_path / "no-dist"),
        "LABSHARE_LOG_LEVEL": "WARNING",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                "--log-level", "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        yield LiveServer(f"http://127.0.0.1:{port}", seed, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _token(base_url: str, email: str) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/token",
        data={"username": email, "password": DEMO_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _config(server: LiveServer, headers: dict[str, str], max_time: int) -> schemathesis.Config:
    seed = server.seed
    checks: dict[str, Any] = {"enabled": False}
    for name in CHECKS:
        checks[name] = {"enabled": True}
    checks["ignored_auth"] = {"enabled": bool(headers)}
    checks["fallback_validation"] = {"enabled": True}
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "max-time": max_time,
            "workers": 1,
            "base-url": server.base_url,
            "headers": headers,
            "request-timeout": 20,
            # Live streams never end: the first event (hello) is enough.
            "max-stream-events": 1,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "checks": checks,
            # The demo's ids, so requests get past "not found"; every other parameter is fuzzed.
            "parameters": {
                "path.instrument_id": str(seed.instrument.id),
                "path.lab_id": str(seed.lab.id),
                "path.gateway_id": str(seed.gateway.id),
                "path.channel_id": next(iter(seed.channels.values())).id,
                "path.user_id": str(seed.users["buyer@jingce.demo"].id),
            },
        }
    )


def _describe(failure: Any) -> str:
    title = getattr(failure, "title", type(failure).__name__)
    message = getattr(failure, "message", "") or ""
    return f"{title}: {message}".strip()


def _run(
    server: LiveServer, role: str, headers: dict[str, str], max_time: int
) -> tuple[list[str], str]:
    config = _config(server, headers, max_time)
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json", config=config)
    found: list[str] = []
    seen: set[tuple[str, str]] = set()
    operations: dict[str, set[str]] = {}
    summary = ""
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.status != Status.SKIP:
                operations.setdefault(event.phase.value, set()).add(event.recorder.label)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status != Status.FAILURE or check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (event.recorder.label, check.name)
                    if key in seen:
                        continue
                    seen.add(key)
                    found.append(
                        f"[{role}] {event.recorder.label} {check.name}: {_describe(failure)}\n"
                        f"    {check.failure_info.code_sample}"
                    )
        elif isinstance(event, events.NonFatalError):
            found.append(f"[{role}] error in {event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            phases = ", ".join(f"{phase} {len(ops)}" for phase, ops in operations.items())
            summary = (
                f"{role}: operations per phase: {phases}; {event.running_time:.0f} s, "
                f"stopped: {event.stop_reason.value}"
            )
            break
    return found, summary


def test_no_request_makes_a_server_error_and_responses_match_the_schema(
    live_server: LiveServer,
) -> None:
    started = time.monotonic()
    failures: list[str] = []
    summaries: list[str] = []
    roles = list(ROLES.items())
    for index, (role, email) in enumerate(roles):
        left = BUDGET_S - (time.monotonic() - started)
        share = max(5, int(left / (len(roles) - index)))
        headers = (
            {"Authorization": f"Bearer {_token(live_server.base_url, email)}"} if email else {}
        )
        found, summary = _run(live_server, role, headers, share)
        failures += found
        summaries.append(summary)
    elapsed = time.monotonic() - started
    # -s shows how far each role got (stopped: max_time means the budget ran out first).
    sys.stderr.write("\n".join(summaries) + "\n")
    log = live_server.log.read_text(errors="replace")
    tracebacks = log.count("Traceback")
    assert not failures, (
        f"{len(failures)} failures in {elapsed:.0f} s (seed {SEED}):\n"
        + "\n".join(failures)
        + (f"\n\nserver log (last 4000 chars):\n{log[-4000:]}" if tracebacks else "")
    )
    assert tracebacks == 0, log[-4000:]


def test_the_openapi_documents_problem_details_for_errors(live_server: LiveServer) -> None:
    spec = requests.get(f"{live_server.base_url}/openapi.json", timeout=10).json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail", "instance"]
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    booking = spec["paths"]["/api/v1/bookings"]["post"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        assert booking[status]["content"] == problem, status
    # No log-in there: the calendar feed documents no 401.
    feed = spec["paths"]["/api/v1/calendar/users/{user_id}.ics"]["get"]["responses"]
    assert "401" not in feed
    assert feed["422"]["content"] == problem
    assert list(feed["200"]["content"]) == ["text/calendar"]
