#!/usr/bin/env bash
# The whole test suite: system services, lint, types, unit, integration, browser and web tests.
# Exits non-zero on the first failing stage.
#
#   scripts/test.sh            everything (what CI and `make test` run)
#   scripts/test.sh --fast     lint, types, web unit tests and every pytest test that needs no
#                              browser and no long fault injection (markers `browser`, `slow`);
#                              skips the system set-up and the web build; a few minutes
#
# Further arguments pass through to pytest: scripts/test.sh --fast -k booking
# pytest runs on one xdist worker per CPU (each with its own PostgreSQL and Mosquitto);
# LABSHARE_TEST_WORKERS=N sets the number, 0 runs the tests in one process (docs/benchmarks.md,
# "Test suite", has the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n\033[1;35m==> %s\033[0m\n' "$*" >&2; }

FAST=0
if [ "${1:-}" = "--fast" ]; then
  FAST=1
  shift
fi
STARTED=$(date +%s)

if [ "$FAST" -eq 0 ]; then
  log "system services (PostgreSQL + TimescaleDB, Mosquitto, Chromium)"
  scripts/setup-system.sh
  log "virtualenv and web build"
  scripts/bootstrap.sh server,edge,bridge,demo,dev
elif [ ! -x .venv/bin/pytest ]; then
  log "virtualenv (missing)"
  scripts/bootstrap.sh server,edge,bridge,demo,dev
fi

log "ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
log "mypy --strict"
.venv/bin/mypy
log "import contracts (lint-imports: one-way server layers, .importlinter)"
.venv/bin/lint-imports
if [ -f web/package.json ] && { [ "$FAST" -eq 0 ] || [ -d web/node_modules ]; }; then
  log "web: API client matches the server's OpenAPI, lint (eslint, prettier) and tests (vitest)"
  (cd web && npm run --silent check:api && npm run --silent lint && npm run --silent test)
fi

PYTEST_ARGS=(-q -p no:cacheprovider -n "${LABSHARE_TEST_WORKERS:-$(nproc)}")
# Last, so its summary line closes the run.
if [ "$FAST" -eq 1 ]; then
  log "pytest, fast lane (no browser, no long fault injection)"
  .venv/bin/pytest "${PYTEST_ARGS[@]}" -m "not browser and not slow" "$@"
else
  log "pytest (unit, integration, browser, benchmark smoke runs)"
  .venv/bin/pytest "${PYTEST_ARGS[@]}" "$@"
fi
log "done in $(($(date +%s) - STARTED)) s"
