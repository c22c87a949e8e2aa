#!/usr/bin/env bash
# Installs the system services the test suite runs for real: PostgreSQL (server and dev
# headers), TimescaleDB, Mosquitto, Chromium and docker-compose (only to validate the compose
# file). Idempotent: every step checks first and does nothing when already satisfied.
# Needs root for apt; without root it only reports what is missing.
set -euo pipefail

log() { printf '\033[1;34m[setup-system]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup-system]\033[0m %s\n' "$*" >&2; exit 1; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} (run this script as root, or install them)"
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The newest PostgreSQL server installed (or the distribution default when none is).
pg_major() {
  local v
  v=$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true)
  if [ -z "$v" ]; then
    v=$(apt-cache show postgresql 2>/dev/null | sed -n 's/^Depends: postgresql-\([0-9]*\).*/\1/p' | head -1)
  fi
  echo "$v"
}

if [ "$(id -u)" -eq 0 ] && [ -z "$(pg_major)" ]; then apt-get update -qq; APT_UPDATED=1; fi
PG=$(pg_major)
[ -n "$PG" ] || die "cannot tell which PostgreSQL version to use"
log "PostgreSQL $PG"

apt_install "postgresql-$PG" "postgresql-contrib" mosquitto chromium docker-compose socat \
  ca-certificates gcc make

PG_BIN="/usr/lib/postgresql/$PG/bin"
SHAREDIR="/usr/share/postgresql/$PG"
if [ -f "$SHAREDIR/extension/timescaledb.control" ]; then
  log "TimescaleDB already installed for PostgreSQL $PG"
  exit 0
fi

# Prefer a packaged extension matching the server (Debian 13 ships postgresql-17-timescaledb).
if [ "$(id -u)" -eq 0 ]; then
  [ "$APT_UPDATED" -eq 1 ] || { apt-get update -qq; APT_UPDATED=1; }
  if apt-cache show "postgresql-$PG-timescaledb" >/dev/null 2>&1; then
    apt_install "postgresql-$PG-timescaledb"
    exit 0
  fi
else
  die "TimescaleDB is missing for PostgreSQL $PG and building it needs root"
fi

# Otherwise build the Apache-licensed extension from Debian 13's source package.
apt_install "postgresql-server-dev-$PG" cmake gcc make dpkg-dev git debian-archive-keyring
BUILD=$(mktemp -d /tmp/labshare-tsdb.XXXXXX)
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$BUILD/apt/lists/partial" "$BUILD/apt/archives/partial" "$BUILD/src"
cat > "$BUILD/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SRC
APT_OPTS=(-o "Dir::Etc::SourceList=$BUILD/sources.list" -o "Dir::Etc::SourceParts=-"
  -o "Dir::State::Lists=$BUILD/apt/lists" -o "Dir::Cache=$BUILD/apt" -o "APT::Get::List-Cleanup=0")
log "fetching the timescaledb source package (Debian trixie)"
apt-get "${APT_OPTS[@]}" update -qq
(cd "$BUILD/src" && apt-get "${APT_OPTS[@]}" source --download-only timescaledb -qq >/dev/null)
(cd "$BUILD/src" && dpkg-source --no-check -x ./*.dsc tsdb >/dev/null)
log "building TimescaleDB (Apache-2 only) against PostgreSQL $PG"
(
  cd "$BUILD/src/tsdb"
  ./bootstrap -DAPACHE_ONLY=1 -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF \
    -DPG_CONFIG="$PG_BIN/pg_config" >"$BUILD/bootstrap.log" 2>&1 || { tail -40 "$BUILD/bootstrap.log"; exit 1; }
  make -C build -j"$(nproc)" install >"$BUILD/make.log" 2>&1 || { tail -40 "$BUILD/make.log"; exit 1; }
)
[ -f "$SHAREDIR/extension/timescaledb.control" ] || die "TimescaleDB build finished but the extension is not installed"
log "TimescaleDB installed"
