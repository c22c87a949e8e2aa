#!/usr/bin/env bash
# The whole test suite: system services, lint, types, unit, integration, browser and web tests.
# Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n\033[1;35m==> %s\033[0m\n' "$*" >&2; }

log "system services (PostgreSQL + TimescaleDB, Mosquitto, Chromium)"
scripts/setup-system.sh
log "virtualenv and web build"
scripts/bootstrap.sh server,edge,bridge,demo,dev

log "ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
log "mypy --strict"
.venv/bin/mypy
if [ -f web/package.json ]; then
  log "web: formatting (prettier) and tests (vitest)"
  (cd web && npm run --silent lint && npm run --silent test)
fi
# Last, so its summary line closes the run.
log "pytest (unit, integration, browser, benchmark smoke runs)"
.venv/bin/pytest -q -p no:cacheprovider "$@"
