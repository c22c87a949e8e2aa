#!/usr/bin/env bash
# Screenshots of the web app's rebuilt pages (login, catalogue, bookings, cancel confirmation)
# at 1440x900 and 390x844 in Chinese and English, against a real server with the demo data.
# Builds the web app first when its sources changed. PNGs go to web/screenshots/ (or
# $LABSHARE_SCREENSHOTS). Needs Chromium and a CJK font (scripts/setup-system.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
NEWEST_SRC=$(find web/src web/index.html web/package.json web/vite.config.ts -newer web/dist/index.html 2>/dev/null | head -1 || true)
if [ ! -f web/dist/index.html ] || [ -n "$NEWEST_SRC" ]; then
  (cd web && npm run --silent build)
fi
exec .venv/bin/pytest -q -p no:cacheprovider -s tests/e2e/test_screenshots.py "$@"
