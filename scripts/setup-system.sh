#!/usr/bin/env bash
# Installs the system services the test suite runs for real: PostgreSQL (server and dev
# headers), TimescaleDB, Mosquitto, nats-server, Chromium and docker-compose (only to validate
# the compose file). Idempotent: every step checks first and does nothing when already satisfied.
# Needs root for apt; without root it only reports what is missing.
set -euo pipefail

log() { printf '\033[1;34m[setup-system]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup-system]\033[0m %s\n' "$*" >&2; exit 1; }

# --- Where Debian packages come from --------------------------------------------------------
# The TimescaleDB source package is taken from Debian 13 (trixie) through the same mirror the
# machine already uses for Debian, so the script works behind any package mirror or proxy and
# names no package host itself. LABSHARE_DEBIAN_MIRROR overrides it (a URI such as
# http://mirror.example/debian); LABSHARE_APT_ETC points at another apt configuration
# directory (default /etc/apt; the tests use a fake one).
DEBIAN_SUITES='buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing|unstable'

# Prints the URI of the first Debian archive (not the security archive) that the apt
# configuration in $1 uses: one-line entries in sources.list and sources.list.d/*.list, and
# deb822 stanzas in sources.list.d/*.sources, in the order apt reads them. Prints nothing if
# none is found.
debian_mirror_from_apt() {
  local etc=${1:-/etc/apt} f
  local files=()
  [ -f "$etc/sources.list" ] && files+=("$etc/sources.list")
  for f in "$etc"/sources.list.d/*; do
    case "$f" in *.list|*.sources) [ -f "$f" ] && files+=("$f") ;; esac
  done
  for f in ${files[@]+"${files[@]}"}; do
    case "$f" in
      *.sources) awk -v suites="^($DEBIAN_SUITES)(-updates|-backports|-proposed-updates)?$" '
        function flush(   n, i, u, s, ok) {
          if (types ~ /(^| )deb(-src)?( |$)/ && enabled !~ /^(no|false|0)$/ && uris != "") {
            ok = 0; n = split(sl, s, " ")
            for (i = 1; i <= n; i++) if (s[i] ~ suites) ok = 1
            if (ok && comps ~ /(^| )main( |$)/) {
              n = split(uris, u, " ")
              for (i = 1; i <= n; i++) if (u[i] !~ /security/ && u[i] !~ /^cdrom:/) { print u[i]; found = 1; exit }
            }
          }
          types = ""; uris = ""; sl = ""; comps = ""; enabled = ""; last = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { sub(/^[ \t]+/, ""); if (last == "uris") uris = uris " " $0; else if (last == "suites") sl = sl " " $0; else if (last == "components") comps = comps " " $0; next }
        {
          key = tolower($0); sub(/:.*/, "", key); value = $0; sub(/^[^:]*:[ \t]*/, "", value); last = key
          if (key == "types") types = value; else if (key == "uris") uris = value
          else if (key == "suites") sl = value; else if (key == "components") comps = value
          else if (key == "enabled") enabled = tolower(value)
        }
        END { if (!found) flush() }' "$f" ;;
      *) awk -v suites="^($DEBIAN_SUITES)(-updates|-backports|-proposed-updates)?$" '
        { sub(/#.*/, "") }
        $1 == "deb" || $1 == "deb-src" {
          line = $0; sub(/^[ \t]*deb(-src)?[ \t]+/, "", line); sub(/^\[[^]]*\][ \t]*/, "", line)
          n = split(line, w, /[ \t]+/)
          main = 0; for (i = 3; i <= n; i++) if (w[i] == "main") main = 1
          if (n >= 3 && w[2] ~ suites && main && w[1] !~ /security/ && w[1] !~ /^cdrom:/) { print w[1]; exit }
        }' "$f" ;;
    esac | head -1 | grep . && return 0
  done
  return 0
}

# The deb-src line for Debian 13's source packages: the override, else the machine's own
# Debian mirror; fails with what it needs when neither exists.
timescaledb_source_line() {
  local mirror=${LABSHARE_DEBIAN_MIRROR:-}
  local etc=${LABSHARE_APT_ETC:-/etc/apt}
  [ -n "$mirror" ] || mirror=$(debian_mirror_from_apt "$etc")
  if [ -z "$mirror" ]; then
    printf '%s\n' "no Debian mirror found in the apt configuration under $etc (sources.list," \
      "sources.list.d/*.list, sources.list.d/*.sources): TimescaleDB is built from Debian 13" \
      "(trixie)'s source package, which needs a Debian archive mirror. Set" \
      "LABSHARE_DEBIAN_MIRROR to the URI of one that carries trixie's source packages" \
      "(for example your organisation's mirror or apt proxy, ending in /debian), or install" \
      "a postgresql-<version>-timescaledb package yourself." >&2
    return 1
  fi
  printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' "${mirror%/}"
}

if [ "${1:-}" = "--print-timescaledb-source" ]; then
  # Only the derivation, no installation: for checking a machine's set-up and for the tests.
  timescaledb_source_line
  exit $?
fi

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

# fonts-wqy-zenhei: a TrueType CJK font the yearly evaluation report's PDF embeds;
# poppler-utils: pdftoppm/pdftotext, which the report tests use to render and read it;
# fonts-noto-cjk: the web app's Chinese in headless Chromium (browser tests and screenshots).
# nats-server: the clustered broker tier (MQTT listener, JetStream); its tests start three nodes.
apt_install "postgresql-$PG" "postgresql-contrib" mosquitto nats-server chromium docker-compose socat \
  ca-certificates gcc make fonts-wqy-zenhei poppler-utils fonts-noto-cjk

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
SOURCE_LINE=$(timescaledb_source_line) || die "cannot fetch the TimescaleDB source package (see above)"
log "using $SOURCE_LINE"
printf '%s\n' "$SOURCE_LINE" > "$BUILD/sources.list"
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
