#!/usr/bin/env bash
# Creates or updates the project's virtualenv (.venv) and builds the web app.
# Usage: scripts/bootstrap.sh EXTRAS   e.g. "server,edge,bridge,demo" or "server,edge,bridge,demo,dev"
# Re-running is cheap: pip and npm are skipped when their inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=${1:-server,edge,bridge,demo}
log() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*" >&2; }

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$cand; break
    fi
  done
fi
[ -n "$PY" ] || { echo "Python 3.11 or newer is required" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi

STAMP=.venv/.labshare-installed
WANT="$EXTRAS $(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  log "installing Python packages [$EXTRAS]"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$EXTRAS]"
  echo "$WANT" > "$STAMP"
fi

if [ -f web/package.json ]; then
  command -v npm >/dev/null || { echo "Node.js 20+ with npm is required to build the web app" >&2; exit 1; }
  WEBSTAMP=web/node_modules/.labshare-installed
  WEBWANT=$(cat web/package.json web/package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
  if [ ! -f "$WEBSTAMP" ] || [ "$(cat "$WEBSTAMP")" != "$WEBWANT" ]; then
    log "installing web packages"
    (cd web && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi)
    echo "$WEBWANT" > "$WEBSTAMP"
  fi
  NEWEST_SRC=$(find web/src web/index.html web/package.json web/vite.config.ts -newer web/dist/index.html 2>/dev/null | head -1 || true)
  if [ ! -f web/dist/index.html ] || [ -n "$NEWEST_SRC" ]; then
    log "building the web app"
    (cd web && npm run --silent build)
  fi
fi
